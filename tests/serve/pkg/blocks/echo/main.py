def main(params, context):
    return {"text": params["text"]}
