"""What a one-node ``oocana-local run`` imports, so that starting a run stays quick.

``benchmarks/cold_start.py`` times the whole command; these tests keep what it gained
without a clock: the engine process runs under ``python -X importtime`` (which lists
every module the process imports, in the order each one finishes), and the worker is
asked by its block what its process imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO, cli_env

NOT_FOR_A_RUN = {
    # the other commands: `serve`, `runs`, `view`, `mcp`, `check`
    "oocana_local.serve.command", "oocana_local.serve.web.command",
    "oocana_local.serve.mcp_command", "oocana_local.manifest.pycheck",
    "oocana_local.manifest.tscheck", "oocana_local.bootstrap",
    # did-you-mean hints, only on errors
    "difflib",
    # what a run's own code no longer needs: uuid (and platform) for the session id,
    # csv and html for previews it does not save, secrets and hmac for tokens
    "uuid", "platform", "csv", "html", "secrets", "hmac",
    # rich.pretty imports attrs; the summary of scalar outputs needs neither
    "rich.pretty", "attr",
}

BLOCK = """\
inputs_def: [{handle: x, json_schema: {type: integer}}]
outputs_def: [{handle: x, json_schema: {type: integer}}, {handle: imported}]
executor: {name: python, options: {entry: main.py}}
"""

MAIN = """\
import sys


def main(inputs):
    return {"x": inputs["x"] + 1,
            "imported": " ".join(m for m in ("logging", "asyncio") if m in sys.modules)}
"""

FLOW = """\
nodes:
  - node_id: inc
    task: ../blocks/inc
    inputs_from: [{handle: x, value: 1}]
outputs_def: [{handle: x}, {handle: imported}]
outputs_from:
  - {handle: x, from_node: [{node_id: inc, output_handle: x}]}
  - {handle: imported, from_node: [{node_id: inc, output_handle: imported}]}
"""


@pytest.fixture(scope="module")
def one_node(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cold")
    block = root / "blocks" / "inc"
    block.mkdir(parents=True)
    (block / "block.oo.yaml").write_text(BLOCK)
    (block / "main.py").write_text(MAIN)
    flow = root / "one"
    flow.mkdir()
    (flow / "flow.oo.yaml").write_text(FLOW)
    return flow


def run_with_importtime(*args: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run the command line; its output, and the modules the engine process imported
    once its own package started (what site and coverage import before is not ours)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "oocana_local", *args],
                          cwd=REPO, env=cli_env(), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    names = [line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines()
             if line.startswith("import time:") and "cumulative" not in line]
    return done, names[names.index("oocana_local"):]


def test_a_one_node_run_imports_only_what_it_uses(one_node: Path):
    done, imported = run_with_importtime("run", str(one_node), "--json")

    summary = json.loads(done.stdout)
    assert summary["outputs"] == {"x": 2, "imported": ""}
    assert sorted(NOT_FOR_A_RUN & set(imported)) == []


def test_the_terminal_view_imports_only_what_it_uses(one_node: Path):
    done, imported = run_with_importtime("run", str(one_node))

    assert "x = 2" in done.stdout
    assert sorted(NOT_FOR_A_RUN & set(imported)) == []


def test_the_first_worker_starts_before_the_engine_imports_asyncio(one_node: Path):
    _, imported = run_with_importtime("run", str(one_node), "--json")

    assert imported.index("oocana_local.executor.prelaunch") < imported.index("asyncio")
    assert "oocana_local.executor.pool" not in imported[:imported.index("asyncio")]


def test_a_worker_whose_block_never_logs_does_not_import_logging(one_node: Path):
    # The block says what its worker had imported when it ran: neither logging (the
    # handler of block logs is installed when something imports it) nor asyncio.
    done, _ = run_with_importtime("run", str(one_node), "--json")

    assert json.loads(done.stdout)["outputs"]["imported"] == ""
