from oocana import Context


def main(params: dict, context: Context):
    text = " ".join([f"hello {params['name']}"] * params["times"])
    if params["note"] is not None:
        text += f" ({params['note']})"
    return {"text": text}
