from oocana import Context


def main(params: dict, context: Context):
    return {"a": 1, "c": 2}
