from oocana import Context


def main(params: dict, context: Context):
    context.output("y", params["x"] + 1)
    return {"y": params["x"] + 2}
