def main(inputs):
    return {"y": inputs["x"] * 2}
