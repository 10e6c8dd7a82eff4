"""Block code run in worker processes counts in coverage like code called in-process:
``pytest --cov`` (pytest-cov), ``coverage run -m pytest`` and ``coverage run -m
oocana_local run`` all report a block's executed and missed lines."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import cli_env

pytest.importorskip("coverage")

BLOCK = """\
def main(params, context):
    if params["n"] > 0:
        value = params["n"] * 2
    else:
        value = -1
    return {"out": value}
"""

FLOW = """\
inputs_def: [{handle: n, json_schema: {type: number}}]
outputs_def: [{handle: out}]
nodes:
  - node_id: probe
    task: self::probe
    inputs_from: [{handle: n, from_flow: [{input_handle: n}]}]
outputs_from: [{handle: out, from_node: [{node_id: probe, output_handle: out}]}]
"""

TEST = """\
def test_the_flow_doubles(run_flow):
    assert run_flow("flows/main", inputs={"n": 3}).outputs == {"out": 6}
"""


@pytest.fixture
def package(tmp_path: Path) -> Path:
    root = tmp_path / "pkg"
    files = {
        "package.oo.yaml": "name: covered\nversion: 0.1.0\n",
        "blocks/probe/block.oo.yaml": (
            "executor: {name: python, options: {entry: main.py}}\n"
            "inputs_def: [{handle: n, json_schema: {type: number}}]\n"
            "outputs_def: [{handle: out, json_schema: {type: number}}]\n"),
        "blocks/probe/main.py": BLOCK,
        "flows/main/flow.oo.yaml": FLOW,
        "test_flow.py": TEST,
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _missing(report: str, name: str) -> str:
    """The "Missing" column of ``name``'s row in a term-missing report."""
    for line in report.splitlines():
        if line.startswith(name):
            found = re.search(r"(\d+)%\s*(.*)$", line)
            assert found, line
            return found.group(2).strip()
    raise AssertionError(f"{name} is not in the report:\n{report}")


def _run(args: list[str], cwd: Path) -> str:
    done = subprocess.run([sys.executable, *args], cwd=cwd, env=cli_env(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_pytest_cov_reports_the_lines_a_flow_ran_in_a_worker(package):
    pytest.importorskip("pytest_cov")
    out = _run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "--cov=.",
                "--cov-report=term-missing"], package)
    assert "1 passed" in out
    # n = 3: the else branch (line 5) is the only line not run.
    assert _missing(out, "blocks/probe/main.py") == "5"


def test_branch_coverage_of_a_block(package):
    pytest.importorskip("pytest_cov")
    out = _run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "--cov=.", "--cov-branch",
                "--cov-report=term-missing"], package)
    assert _missing(out, "blocks/probe/main.py") == "5"


def test_coverage_run_of_the_cli_measures_the_block(package):
    _run(["-m", "coverage", "run", "--source=.", "-m", "oocana_local", "run", "flows/main",
          "--inputs", '{"n": -2}', "--json"], package)
    report = _run(["-m", "coverage", "report", "-m"], package)
    assert _missing(report, "blocks/probe/main.py") == "3"


def test_coverage_run_of_pytest_measures_the_block(package):
    _run(["-m", "coverage", "run", "--source=.", "-m", "pytest", "-q", "-p",
          "no:cacheprovider"], package)
    report = _run(["-m", "coverage", "report", "-m"], package)
    assert _missing(report, "blocks/probe/main.py") == "5"
    assert not list(package.glob(".coverage.*")), "worker data left beside the report"


def test_workers_measure_only_when_the_engine_is_measured(package):
    (package / "probe_env.py").write_text(
        "from oocana_local.executor.prelaunch import worker_env\n"
        "print('OOCANA_LOCAL_COVERAGE' in worker_env())\n")
    assert _run(["probe_env.py"], package).strip() == "False"
    assert _run(["-m", "coverage", "run", "probe_env.py"], package).strip() == "True"


def test_node_v8_coverage_reaches_node_workers(tmp_path):
    """``NODE_V8_COVERAGE``: each Node.js worker writes the coverage of the blocks it ran
    there, although the engine stops its workers with SIGKILL."""
    import json
    import os

    (tmp_path / "package.oo.yaml").write_text("name: n\nversion: 0.1.0\n")
    block = tmp_path / "blocks" / "js"
    block.mkdir(parents=True)
    (block / "block.oo.yaml").write_text(
        "executor: {name: nodejs, options: {entry: main.js}}\n"
        "inputs_def: [{handle: n, json_schema: {type: number}}]\n"
        "outputs_def: [{handle: out, json_schema: {type: number}}]\n")
    (block / "main.js").write_text(
        "export default function (params) {\n  return { out: params.n + 1 };\n}\n")
    folder = tmp_path / "v8"
    env = {**cli_env(), "NODE_V8_COVERAGE": str(folder)}
    done = subprocess.run([sys.executable, "-m", "oocana_local", "run", str(block), "--inputs",
                           '{"n": 1}', "--json"], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    url = (block / "main.js").as_uri()
    counts = []
    for name in os.listdir(folder):
        for script in json.loads((folder / name).read_text())["result"]:
            if script["url"].split("?")[0] == url:
                counts += [f["ranges"][0]["count"] for f in script["functions"]]
    assert counts and max(counts) >= 1, "the block's function is not in the V8 coverage"
