def main(params):
    df = params["df"]
    return {"total": float(df["a"].sum() + df["b"].sum())}
