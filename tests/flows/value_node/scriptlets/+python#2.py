from oocana import Context


def main(params: dict, context: Context):
    return {"output": 3}
