from oocana import Context


def main(params: dict, context: Context):
    factor = params["factor"]
    return {"scaled": [n * factor for n in params["numbers"]]}
