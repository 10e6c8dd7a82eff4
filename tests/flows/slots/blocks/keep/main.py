def main(inputs):
    return {"array": inputs["array"]}
