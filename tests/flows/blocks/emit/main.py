from oocana import Context


def main(params: dict, context: Context):
    for item in params["items"]:
        context.output("item", item)
