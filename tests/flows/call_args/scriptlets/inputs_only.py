def main(inputs):
    return {"out": inputs["text"] + "|inputs_only"}
