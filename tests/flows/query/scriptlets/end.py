def main(params):
    return {"answers": params["output1"]}
