def main(inputs):
    (n,) = inputs["n"]
    return {"item": inputs["item"] + n}
