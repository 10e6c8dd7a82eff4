def main(inputs):
    acc = [*inputs["acc"], inputs["item"]]
    if len(acc) == inputs["length"]:
        return {"array": acc}
    return {"acc": acc}
