"""Tests of the scale block: in-process with make_context, then in a worker."""

from pathlib import Path

from oocana_local.testing import load_block_main

BLOCK = Path(__file__).parent
main = load_block_main(BLOCK)


def test_multiplies_by_the_factor(make_context):
    context = make_context({"numbers": [1, 2.5], "factor": -2}, block=BLOCK)
    assert main(context.inputs, context) == {"scaled": [-2, -5.0]}


def test_factor_defaults_to_two(make_context):
    context = make_context({"numbers": [4]}, block=BLOCK)  # factor from block.oo.yaml
    assert context.inputs["factor"] == 2
    assert main(context.inputs, context) == {"scaled": [8]}


def test_runs_in_a_worker(run_block):
    assert run_block(BLOCK, inputs={"numbers": [1, 2]}).outputs == {"scaled": [2, 4]}
