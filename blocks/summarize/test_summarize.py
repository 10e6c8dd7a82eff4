"""Tests of the summarize block: in-process with call_block, then in a worker."""

from pathlib import Path

import pandas as pd

BLOCK = Path(__file__).parent


def test_summarizes_numeric_columns(call_block):
    frame = pd.DataFrame({"a": [1, 2, 3], "b": [0.5, 0.5, 2.0], "label": ["x", "y", "z"]})
    context = call_block(BLOCK, {"frame": frame})
    assert context.outputs["stats"] == {
        "rows": 3, "columns": ["a", "b", "label"],
        "sum": {"a": 6, "b": 3.0}, "mean": {"a": 2.0, "b": 1.0}}
    assert context.outputs["summary"] == "3 rows: a sums to 6, b to 3"
    assert context.logs == ["summarizing 3 rows x 3 columns",
                            "INFO block.summarize: columns: a, b, label",
                            "3 rows: a sums to 6, b to 3"]
    assert context.previews[0]["type"] == "table"


def test_runs_in_a_worker(run_block):
    # a DataFrame input is pickled to the worker, as between two blocks
    result = run_block(BLOCK, inputs={"frame": pd.DataFrame({"x": [1, 2], "y": [3, 4]})})
    assert result.outputs["summary"] == "2 rows: x sums to 3, y to 7"
    assert result.previews[0]["type"] == "table"
    assert result.logs[1] == "INFO block.summarize: columns: x, y"


def test_runs_in_the_quickstart_flow(run_flow):
    result = run_flow("flows/quickstart", inputs={"count": 3}, nodes=["summary"])
    assert result.node_outputs["summary"]["summary"] == [
        "3 rows: x sums to 6, squared to 14, scaled to 60"]
    assert result.nodes["counter"] == "skipped"
