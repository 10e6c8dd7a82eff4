"""Tests of the make_numbers block: in-process with make_context, then in a worker."""

from pathlib import Path

import pytest

from oocana_local.testing import BlockFailed, load_block_main

BLOCK = Path(__file__).parent
main = load_block_main(BLOCK)


def test_counts_from_start(make_context):
    context = make_context({"count": 3, "start": 10}, block=BLOCK)
    assert main(context.inputs, context) == {"numbers": [10, 11, 12]}


def test_zero_numbers(make_context):
    context = make_context({"count": 0}, block=BLOCK)
    assert main(context.inputs, context) == {"numbers": []}


def test_negative_count_is_an_error(make_context):
    context = make_context({"count": -1}, block=BLOCK)
    with pytest.raises(ValueError, match="count must be 0 or more"):
        main(context.inputs, context)


def test_runs_in_a_worker(run_block):
    assert run_block(BLOCK).outputs == {"numbers": [1, 2, 3, 4, 5]}  # the defaults
    with pytest.raises(BlockFailed, match="count must be 0 or more, got -2"):
        run_block(BLOCK, inputs={"count": -2})
