"""The mixed-languages flow: Python -> TypeScript -> Python, JSON both ways."""

from pathlib import Path

FLOW = Path(__file__).parent


def test_report(run_flow):
    result = run_flow(FLOW, inputs={"count": 4})
    assert result.outputs == {"report": "4 numbers from 1 to 4, mean 2.5"}
    assert result.node_logs["describe"] == ["describing 4 numbers"]
