def helper(code):
    raise ValueError(f"the fail block refuses code {code}")


def main(params, context):
    helper(params["code"])
