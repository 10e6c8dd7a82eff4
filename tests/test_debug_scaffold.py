"""``new block|flow --vscode`` writes VS Code's attach configurations for ``--debug``
runs, and never overwrites a launch.json the user has."""

from __future__ import annotations

import json
import subprocess

from helpers import cli, cli_env


def _new(tmp_path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cli("new", *args, "--dir", str(tmp_path)), env=cli_env(),
                          capture_output=True, text=True, timeout=120)


def test_new_block_with_vscode_writes_the_attach_configurations(tmp_path):
    (tmp_path / "package.oo.yaml").write_text("name: p\nversion: 0.1.0\n")
    done = _new(tmp_path, "block", "greet", "--vscode")
    assert done.returncode == 0, done.stderr
    launch = json.loads((tmp_path / ".vscode" / "launch.json").read_text())
    by_type = {c["type"]: c for c in launch["configurations"]}
    assert by_type["debugpy"]["request"] == "attach"
    assert by_type["debugpy"]["connect"] == {"host": "127.0.0.1", "port": 5678}
    assert (by_type["node"]["address"], by_type["node"]["port"]) == ("127.0.0.1", 9229)
    assert "launch.json" in done.stdout and "--debug" in done.stdout


def test_an_existing_launch_json_is_left_alone(tmp_path):
    (tmp_path / "package.oo.yaml").write_text("name: p\nversion: 0.1.0\n")
    mine = tmp_path / ".vscode" / "launch.json"
    mine.parent.mkdir()
    mine.write_text('{"version": "0.2.0", "configurations": []}  // mine\n')
    done = _new(tmp_path, "flow", "count", "--vscode")
    assert done.returncode == 0, done.stderr
    assert mine.read_text() == '{"version": "0.2.0", "configurations": []}  // mine\n'
    assert "kept your" in done.stdout and '"type": "debugpy"' in done.stdout


def test_without_the_option_no_launch_json(tmp_path):
    (tmp_path / "package.oo.yaml").write_text("name: p\nversion: 0.1.0\n")
    assert _new(tmp_path, "block", "plain").returncode == 0
    assert not (tmp_path / ".vscode").exists()
