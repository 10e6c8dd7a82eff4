def main(inputs, context):
    items = inputs["items"]
    for item in items:
        context.output("item", item)
        context.output("length", len(items))
