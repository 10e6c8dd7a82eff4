"""Tests of the to_dataframe block: in-process with make_context, then in a worker."""

from pathlib import Path

import pandas as pd
import pytest

from oocana_local.testing import load_block_main

BLOCK = Path(__file__).parent
main = load_block_main(BLOCK)


def test_makes_a_frame(make_context):
    context = make_context({"x": [1, 2], "squared": [1, 4], "scaled": [2, 4]}, block=BLOCK)
    frame = main(context.inputs, context)["frame"]
    pd.testing.assert_frame_equal(
        frame, pd.DataFrame({"x": [1, 2], "squared": [1, 4], "scaled": [2, 4]}))


def test_columns_must_have_the_same_length(make_context):
    context = make_context({"x": [1, 2], "squared": [1], "scaled": [2, 4]}, block=BLOCK)
    with pytest.raises(ValueError, match="same length"):
        main(context.inputs, context)


def test_runs_in_a_worker(run_block):
    result = run_block(BLOCK, inputs={"x": [1], "squared": [1], "scaled": [2]})
    # the frame stays in the worker (an oomol/var output): the test sees its reference
    assert result.outputs["frame"]["__OOMOL_TYPE__"] == "oomol/var"
