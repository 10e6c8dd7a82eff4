from oocana import Context


def main(params: dict, context: Context):
    return {"kinds": {name: type(value).__name__ for name, value in sorted(params.items())}}
