def main(params, context):
    return {"text": params["text"] * params["times"] + (params["suffix"] or "")}
