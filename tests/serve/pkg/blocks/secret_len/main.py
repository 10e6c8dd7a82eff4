def main(params, context):
    print("the key is", params["key"])
    return {"length": len(params["key"])}
