from oocana import Context


def main(params: dict, context: Context):
    parts = [params["header"], params["body"], params["footer"]]
    return {"text": params["separator"].join(str(p) for p in parts if p not in (None, ""))}
