def main(params, context):
    raise ValueError(f"the fail block refuses code {params['code']}")
