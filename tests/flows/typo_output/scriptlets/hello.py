def main(params):
    return {"greting": "hello"}
