def main(params):
    return {"map": {1, 2, 3}}
