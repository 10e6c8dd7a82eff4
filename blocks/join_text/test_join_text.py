"""Tests of the join_text block: in-process with make_context, then in a worker."""

from pathlib import Path

from oocana_local.testing import load_block_main

BLOCK = Path(__file__).parent
main = load_block_main(BLOCK)


def test_joins_with_the_separator(make_context):
    context = make_context({"header": "a", "body": "b", "footer": "c", "separator": " | "},
                           block=BLOCK)
    assert main(context.inputs, context) == {"text": "a | b | c"}


def test_skips_empty_parts(make_context):
    context = make_context({"header": "a", "body": "", "footer": None}, block=BLOCK)
    assert main(context.inputs, context) == {"text": "a"}


def test_runs_in_a_worker(run_block):
    result = run_block(BLOCK, inputs={"header": "Title", "body": "text", "footer": "end"})
    assert result.outputs == {"text": "Title\ntext\nend"}
