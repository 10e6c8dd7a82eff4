def check(code):
    raise ValueError(f"the fail block refuses code {code}")


def main(params, context):
    check(params["code"])
