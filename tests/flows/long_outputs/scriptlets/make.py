import pandas as pd


def main(params):
    return {
        "text": "lorem ipsum " * 100,
        "words": ["a-rather-long-word-" * 8 + str(i) for i in range(30)],
        "nested": {"level": {"deeper": {"deepest": "x" * 500, "n": list(range(200))}}},
        "frame": pd.DataFrame({"a": [1, 2], "b": [3, 4], "c": [5, 6]}),
    }
