import base64


def main(params):
    data = params["data"]
    print(base64.b64encode(data))
    return {"got": f"{type(data).__name__}:{data.hex()}"}
