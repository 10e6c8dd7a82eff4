import pandas as pd
from oocana import Context


def main(params: dict, context: Context):
    columns = {name: params[name] for name in ("x", "squared", "scaled")}
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"columns must have the same length, got {lengths}")
    return {"frame": pd.DataFrame(columns)}
