from oocana import Context


def main(params: dict, context: Context):
    return {"output": params["input"] + params["output"] + params["value1"]}
