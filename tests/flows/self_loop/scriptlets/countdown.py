from oocana import Context


def main(params: dict, context: Context):
    n = params["n"]
    if n > 0:
        return {"tick": n, "next": n - 1}
    return {"tick": n}
