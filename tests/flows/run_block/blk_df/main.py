import pandas as pd


def main(params):
    return {"df": pd.DataFrame({"x": range(params["rows"])})}
