"""Tests of the slow_count block: in-process with call_block, then in a worker."""

from pathlib import Path

BLOCK = Path(__file__).parent


def test_reports_progress_at_every_step(call_block):
    context = call_block(BLOCK, {"steps": 4, "delay": 0})
    assert context.result == {"count": 4, "message": "counted to 4"}
    assert context.progress == [0, 25.0, 50.0, 75.0, 100.0]  # every call, unthrottled


def test_runs_in_a_worker(run_block):
    result = run_block(BLOCK, inputs={"steps": 3, "delay": 0.01})
    assert result.outputs == {"count": 3, "message": "counted to 3"}
    # a worker throttles progress to one report per 0.3 s: the first one, then the newest
    assert result.progress[0] == 0 and result.progress[-1] == 100.0
