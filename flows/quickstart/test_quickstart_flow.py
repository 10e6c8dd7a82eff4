"""The quickstart flow, run as a user's test would run it (see also tests/test_quickstart.py)."""

from pathlib import Path

FLOW = Path(__file__).parent


def test_quickstart_report(run_flow):
    result = run_flow(FLOW, inputs={"count": 3, "title": "Report"},
                      nodes_inputs={"counter": {"delay": 0}})
    assert result.outputs["report"] == (
        "Report\n3 rows: x sums to 6, squared to 14, scaled to 60\ncounted to 10")
    assert result.outputs["stats"]["mean"] == {"x": 2.0, "squared": 14 / 3, "scaled": 20.0}
    assert set(result.nodes.values()) == {"done"}
    assert result.node_logs["summary"][0] == "summarizing 3 rows x 3 columns"
    assert result.node_progress["counter"][-1] == 100.0
    assert result.warnings == [] and result.errors == []
