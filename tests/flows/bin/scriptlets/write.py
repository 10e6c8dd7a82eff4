def main(params):
    return {"data": b"\x01\x02\x03\x04"}
