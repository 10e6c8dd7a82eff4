def main(params, context):
    print("the key is", params["key"])
    context.preview({"type": "text", "data": f"key={params['key']}"})
    return {"key": params["key"], "length": len(params["key"])}
