import numpy as np
import pandas as pd


def main(params):
    n = params["rows"]
    return {"df": pd.DataFrame({"a": np.arange(n, dtype="float64"), "b": np.ones(n)})}
