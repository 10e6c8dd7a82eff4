"""Test blocks and flows: in-process with ``make_context`` / ``call_block``, or through the
real engine and workers with ``run_block`` / ``run_flow``.

With pytest these are fixtures (the plugin is registered by installing oocana-local)::

    def test_unit(make_context):
        main = load_block_main("blocks/square")
        ctx = make_context({"numbers": [3]}, outputs_def=["squares"])
        assert main(ctx.inputs, ctx) == {"squares": [9]}

    def test_in_a_worker(run_block):
        assert run_block("self::square", inputs={"numbers": [3]}).outputs == {"squares": [9]}

Without pytest: ``with Runner() as runner: runner.run_block(...)``.
"""

from __future__ import annotations

from .._shim import ensure_oocana_importable
from .blocks import call_block, load_block_main
from .context import RecordingContext, make_context
from .locate import package_root, resolve_block
from .result import BlockFailed, TestResult
from .runner import Engines, Runner

__all__ = [
    "make_context",
    "RecordingContext",
    "call_block",
    "load_block_main",
    "resolve_block",
    "package_root",
    "Runner",
    "Engines",
    "TestResult",
    "BlockFailed",
    "ensure_oocana_importable",
]

ensure_oocana_importable()

for _cls in (BlockFailed, TestResult, RecordingContext, Runner, Engines):
    _cls.__module__ = __name__  # shown as oocana_local.testing.BlockFailed in failures
