"""Tests of the describe_ts block: a TypeScript block run in a real Node.js worker."""

from pathlib import Path

BLOCK = Path(__file__).parent


def test_describes_the_numbers(run_block):
    result = run_block(BLOCK, inputs={"numbers": [1, 2, 3, 6]})
    assert result.outputs == {"stats": {"count": 4, "sum": 12, "mean": 3, "min": 1, "max": 6}}
    assert result.logs == ["describing 4 numbers"]


def test_an_empty_list_has_no_mean(run_block):
    stats = run_block(BLOCK, inputs={"numbers": []}).outputs["stats"]
    assert stats == {"count": 0, "sum": 0, "mean": None, "min": None, "max": None}
