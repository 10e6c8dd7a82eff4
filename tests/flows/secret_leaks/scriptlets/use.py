import hashlib
import os


def main(params):
    token = params["streamed"]
    print("downstream:", token)
    os.write(1, f"downstream fd: {token}\n".encode())
    same = (hashlib.sha256(token.encode()).hexdigest() == params["digest"]
            and params["returned"] == {"nested": [token]})
    return {"echo": token, "same": same}
