def main(params):
    return {"a": params["n"], "b": params["n"] * 10}
