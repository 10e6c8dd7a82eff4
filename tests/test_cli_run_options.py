"""``run --inputs-file``, how ``run --help`` reads, and what a single block's run says."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from helpers import REPO, cli, cli_env


def run_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cli(*args), cwd=cwd, env=cli_env(), capture_output=True, text=True,
                          timeout=120)


class TestInputsFile:
    def test_inputs_come_from_the_file(self, tmp_path):
        inputs = tmp_path / "inputs.json"
        inputs.write_text('{"numbers": [2, 3]}')
        proc = run_cli("run", "blocks/square", "--inputs-file", str(inputs), "--json")
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["outputs"] == {"squares": [4, 9]}

    def test_keys_of_the_file_win_over_inputs(self, tmp_path):
        inputs = tmp_path / "inputs.json"
        inputs.write_text('{"count": 2}')
        proc = run_cli("run", "flows/quickstart", "--inputs", '{"count": 4, "factor": 1}',
                       "--inputs-file", str(inputs), "--json")
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["outputs"]["stats"]["sum"] == {
            "x": 3, "squared": 5, "scaled": 3}

    def test_a_broken_file_is_one_line_with_its_position(self, tmp_path):
        inputs = tmp_path / "inputs.json"
        inputs.write_text('{\n  "numbers": [1, 2,\n}\n')
        proc = run_cli("run", "blocks/square", "--inputs-file", str(inputs))
        assert proc.returncode == 2
        assert proc.stderr.startswith(f"oocana-local: {inputs}:3:1: not valid JSON")
        assert len(proc.stderr.splitlines()) == 1

    def test_a_missing_file_or_a_list_is_a_usage_error(self, tmp_path):
        proc = run_cli("run", "blocks/square", "--inputs-file", str(tmp_path / "nope.json"))
        assert proc.returncode == 2
        assert f"cannot read the inputs file {tmp_path / 'nope.json'}" in proc.stderr
        listed = tmp_path / "list.json"
        listed.write_text("[1, 2]")
        proc = run_cli("run", "blocks/square", "--inputs-file", str(listed))
        assert proc.returncode == 2
        assert "the inputs must be a JSON object, got list" in proc.stderr


def _groups(help_text: str) -> dict[str, list[str]]:
    """``{group title: [its options]}`` from argparse's help."""
    groups: dict[str, list[str]] = {}
    current = None
    for line in help_text.splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            current = line[:-1]
            groups[current] = []
        elif current is not None:
            found = re.match(r"\s{2}(?:-\w, )?(--[a-z-]+)", line)
            if found:
                groups[current].append(found.group(1))
    return groups


def test_run_help_groups_its_options():
    proc = run_cli("run", "--help")
    assert proc.returncode == 0
    groups = _groups(proc.stdout)
    assert groups["inputs"] == ["--inputs", "--inputs-file", "--nodes-inputs", "--secrets"]
    assert {"--json", "--events", "--report", "--previews", "--keep-session"} == set(
        groups["output"])
    assert {"--nodes", "--max-workers", "--executor", "--use-cache", "--strict"} == set(
        groups["execution"])
    assert {"--search-paths", "--session", "--cache-dir", "--ray-address"} == set(
        groups["advanced"])
    assert groups["options"] == ["--help"]  # nothing left ungrouped


def test_dev_help_has_the_same_groups():
    proc = run_cli("dev", "--help")
    groups = _groups(proc.stdout)
    assert "--inputs-file" in groups["inputs"] and "--json-lines" in groups["output"]
    assert groups["options"] == ["--help"]


def test_a_single_block_run_says_block_started():
    proc = run_cli("run", "blocks/square", "--inputs", '{"numbers": [1]}')
    assert proc.returncode == 0, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert re.match(r"block \S+block\.oo\.yaml started", first), first
    flow = run_cli("run", "flows/quickstart", "--nodes", "numbers")
    assert flow.stdout.splitlines()[0].startswith("flow ")
