def main(inputs):
    return {"item": inputs["item"] * 2}
