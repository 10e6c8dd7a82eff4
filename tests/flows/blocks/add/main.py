from oocana import Context


def main(params: dict, context: Context):
    return {"sum": params["a"] + params["b"]}
