"""Tests of the square block: in-process with make_context, then in a worker."""

from pathlib import Path

from oocana_local.testing import load_block_main

BLOCK = Path(__file__).parent
main = load_block_main(BLOCK)


def test_squares_each_number(make_context):
    context = make_context({"numbers": [1, -2, 0.5]}, block=BLOCK)
    assert main(context.inputs, context) == {"squares": [1, 4, 0.25]}


def test_runs_in_a_worker(run_block):
    result = run_block("self::square", inputs={"numbers": [3, 4]})
    assert result.outputs == {"squares": [9, 16]}
