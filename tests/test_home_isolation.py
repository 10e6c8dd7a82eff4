"""The suite writes nothing into the home folder of whoever runs it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import isolation
from helpers import REPO, cli, cli_env

SESSION = isolation.SESSION
assert SESSION is not None  # tests/conftest.py isolates the session when it is imported


def test_the_session_runs_with_a_home_of_its_own():
    assert Path.home() == SESSION.home != SESSION.real_home
    assert SESSION.home.is_dir()
    assert os.environ["OOCANA_LOCAL_HOME"].startswith(str(SESSION.home))
    assert os.environ["XDG_CACHE_HOME"].startswith(str(SESSION.home))


def test_package_data_of_a_run_lands_in_the_session_home(tmp_path):
    block = tmp_path / "keeper"
    block.mkdir()
    (block / "block.oo.yaml").write_text(
        "executor: {name: python, options: {entry: main.py}}\noutputs_def: [{handle: dir}]\n")
    (block / "main.py").write_text(
        "def main(params, context):\n"
        "    import pathlib\n"
        "    (pathlib.Path(context.pkg_data_dir) / 'kept.txt').write_text('x')\n"
        "    return {'dir': context.pkg_data_dir}\n")
    proc = subprocess.run(cli("run", str(block), "--json"), cwd=REPO, env=cli_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    import json

    data_dir = Path(json.loads(proc.stdout)["outputs"]["dir"])
    assert (data_dir / "kept.txt").is_file()
    assert data_dir.is_relative_to(SESSION.home)
    assert not data_dir.is_relative_to(SESSION.real_home)


def test_esbuild_is_found_without_writing_into_the_real_home():
    tools = SESSION.node_tools
    assert os.environ["OOCANA_LOCAL_NODE_TOOLS"] == str(tools)
    # Either the real cache that already holds esbuild (only read), or the session's own.
    assert (tools / "node_modules" / "esbuild").is_dir() or tools.is_relative_to(SESSION.home)


def test_a_stray_file_in_the_session_home_is_reported(tmp_path):
    fake = isolation.Isolation(real_home=SESSION.real_home, home=tmp_path,
                               node_tools=SESSION.node_tools)
    (tmp_path / ".oocana-local").mkdir()
    (tmp_path / "notes.txt").write_text("written by a test")
    assert isolation.unexpected(fake) == ["notes.txt"]
