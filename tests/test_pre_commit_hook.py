"""``.pre-commit-hooks.yaml`` names a command that exists and works as pre-commit runs it."""

from __future__ import annotations

import re
import shlex
import subprocess

import yaml
from helpers import REPO, cli, cli_env

from oocana_local.cli import build_parser

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = None  # type: ignore[assignment]


def _hooks() -> list[dict]:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert isinstance(hooks, list) and hooks
    return hooks


def test_the_hooks_file_parses_with_the_keys_pre_commit_needs():
    ids = [hook["id"] for hook in _hooks()]
    assert len(ids) == len(set(ids))
    for hook in _hooks():
        assert {"id", "name", "entry", "language"} <= set(hook)
        assert hook["language"] == "python"  # pre-commit pip-installs this repository
        re.compile(hook.get("files", ""))


def test_the_entry_is_a_console_script_of_this_package_and_a_real_command():
    scripts = {"oocana-local"}
    if tomllib is not None:
        project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
        scripts = set(project["scripts"])
    for hook in _hooks():
        program, *words = shlex.split(hook["entry"])
        assert program in scripts
        args = build_parser().parse_args([*words, *hook.get("args", [])])
        assert args.command == "check"


def test_the_hook_as_pre_commit_runs_it(tmp_path):
    (hook,) = [h for h in _hooks() if h["id"] == "oocana-local-check"]
    _, *words = shlex.split(hook["entry"])
    block = tmp_path / "blocks" / "bad"
    block.mkdir(parents=True)
    (block / "block.oo.yaml").write_text("executor: {name: python, options: {entry: main.py}}\n")
    (block / "main.py").write_text("def main(params:\n")
    proc = subprocess.run(cli(*words, *hook["args"]), cwd=tmp_path, env=cli_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0  # pre-commit fails the commit
    assert "main.py:1: error: main.py does not compile" in proc.stderr
    (block / "main.py").write_text("def main(params):\n    return {}\n")
    proc = subprocess.run(cli(*words, *hook["args"]), cwd=tmp_path, env=cli_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
