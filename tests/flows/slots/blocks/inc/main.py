def main(inputs):
    return {"y": inputs["x"] + 1}
