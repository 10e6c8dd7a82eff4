def main(inputs, context):
    context.output("y", inputs["x"])
    return {"y": inputs["x"] + 1}
