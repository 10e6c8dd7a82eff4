def main(params, context):
    df = params["df"]
    return {"total": float(df["a"].sum() + df["b"].sum()),
            "stored": len(context._store)}
