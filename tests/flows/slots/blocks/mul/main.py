def main(inputs):
    return {"y": inputs["x"] * inputs["factor"]}
