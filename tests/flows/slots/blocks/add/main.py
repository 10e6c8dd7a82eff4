def main(inputs):
    return {"item": inputs["item"] + inputs["n"]}
