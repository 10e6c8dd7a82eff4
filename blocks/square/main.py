from oocana import Context


def main(params: dict, context: Context):
    return {"squares": [n * n for n in params["numbers"]]}
