"""Nothing piles up: finished session folders beyond the most recent few are deleted
(``--keep-session`` keeps one for good), and plotly.js is stored once for all runs."""

from __future__ import annotations

import subprocess

from helpers import REPO, cli, cli_env
from test_cli import RUN_TIMEOUT


def run_in(tmp, *args: str, keep: int = 2) -> subprocess.CompletedProcess:
    env = {**cli_env(), "TMPDIR": str(tmp), "OOCANA_KEEP_SESSIONS": str(keep)}
    return subprocess.run(cli(*args), cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT)


def user_root(tmp):
    """The user's own folder the runs made in ``tmp`` (``<tmp>/oocana-local-of-<user>``)."""
    [root] = tmp.glob("oocana-local-of-*")
    return root


def sessions(tmp) -> set[str]:
    root = user_root(tmp) / "sessions"
    return {p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")}


def test_old_session_folders_go_and_a_kept_one_stays(tmp_path):
    for n in range(4):  # each run saves previews to its session folder
        proc = run_in(tmp_path, "run", "flows/previews", "--session", f"s{n}",
                      "--inputs", '{"points": 3}', *(["--keep-session"] if n == 0 else []))
        assert proc.returncode == 0, proc.stderr
    assert "session folder kept:" in run_in(
        tmp_path, "run", "flows/previews", "--session", "s4", "--keep-session").stderr
    # s0 and s4 are kept; of the others only the 2 most recent finished ones remain
    # (the rule runs when a run starts, so s4's start removed s1).
    assert sessions(tmp_path) == {"s0", "s2", "s3", "s4"}
    assert list((user_root(tmp_path) / "sessions" / "s3" / "previews").iterdir())


def test_plotly_js_is_stored_once(tmp_path):
    for n in range(2):
        assert run_in(tmp_path, "run", "flows/previews", "--session", f"p{n}",
                      "--inputs", '{"points": 3}').returncode == 0
    copies = [p for p in user_root(tmp_path).rglob("*.js") if "plotly" in p.name]
    assert len(copies) == 1 and copies[0].parent.name == "shared"
    assert copies[0].stat().st_size > 1_000_000
