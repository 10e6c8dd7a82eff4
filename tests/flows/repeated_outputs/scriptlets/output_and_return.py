from oocana import Context


def main(params: dict, context: Context):
    context.output("out", "streamed")
    return {"out": "returned"}
