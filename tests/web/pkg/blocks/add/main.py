def main(params, context):
    total = params["a"] + params["b"]
    print(f"{params['a']} + {params['b']} = {total} {params['unit']}")
    return {"sum": total * 2 if params["twice"] else total}
