def main(params):
    df = params["df"]
    df["a"] *= 2  # the copy this worker got is its own: writing is fine
    return {"df": df}
