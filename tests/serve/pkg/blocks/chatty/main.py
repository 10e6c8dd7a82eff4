def main(params, context):
    for i in range(params["lines"]):
        print(f"line {i}")
    return {"lines": params["lines"]}
