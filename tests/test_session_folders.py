"""Nothing piles up: finished session folders beyond the most recent few are deleted
(``--keep-session`` keeps one for good), and plotly.js is stored once for all runs."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from helpers import REPO, cli, cli_env
from test_cli import RUN_TIMEOUT


def run_in(tmp, *args: str, keep: int = 2, env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess:
    env = {**cli_env(), "TMPDIR": str(tmp), "OOCANA_KEEP_SESSIONS": str(keep), **(env or {})}
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


def test_runs_that_write_nothing_leave_only_the_most_recent_session_folders(tmp_path):
    # A session folder holding only its lock, and the empty scratch folders a worker
    # makes for a run, are removed without rmtree; nothing else is left behind.
    scratch = tmp_path / "scratch"
    for n in range(4):
        proc = run_in(tmp_path, "run", "tests/flows/chain", "--session", f"c{n}",
                      env={"OOCANA_TEMP_ROOT": str(scratch)})
        assert proc.returncode == 0, proc.stderr
    # The rule runs when a run starts: c3's start removed c0.
    assert sessions(tmp_path) == {"c1", "c2", "c3"}
    assert [p.name for p in scratch.iterdir() if not p.name.endswith(".lock")] == []


def test_plotly_js_is_stored_once(tmp_path):
    for n in range(2):
        assert run_in(tmp_path, "run", "flows/previews", "--session", f"p{n}",
                      "--inputs", '{"points": 3}').returncode == 0
    copies = [p for p in user_root(tmp_path).rglob("*.js") if "plotly" in p.name]
    assert len(copies) == 1 and copies[0].parent.name == "shared"
    assert copies[0].stat().st_size > 1_000_000


# -- context.tmp_dir: cleaned when a run completes, kept when it fails ---------------------------

TMP_FLOW = "tests/flows/tmp_dir"


def run_tmp(root, *args: str) -> subprocess.CompletedProcess:
    env = {**cli_env(), "OOCANA_TEMP_ROOT": str(root)}
    return subprocess.run(cli("run", TMP_FLOW, "--json", *args), cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=RUN_TIMEOUT)


def folders(root) -> set[str]:
    return {p.name for p in root.iterdir() if not p.name.startswith(".")}


def summary(proc: subprocess.CompletedProcess) -> dict:
    return json.loads(proc.stdout.splitlines()[-1])


def test_a_second_run_writing_a_fixed_name_in_tmp_dir_succeeds(tmp_path):
    root = tmp_path / "tmp-root"
    first = run_tmp(root)
    assert first.returncode == 0, first.stderr
    tmp_dir = Path(summary(first)["outputs"]["tmp_dir"])
    assert tmp_dir.parent == root and tmp_dir.name.startswith("tmp_dir-")
    assert not tmp_dir.exists()  # the completed run cleaned it
    second = run_tmp(root)
    assert second.returncode == 0, second.stderr
    assert summary(second)["outputs"]["tmp_dir"] == str(tmp_dir)  # the same folder name
    assert folders(root) == set()


def test_a_failed_run_keeps_its_tmp_dir_and_the_next_run_starts_empty(tmp_path):
    root = tmp_path / "tmp-root"
    failed = run_tmp(root, "--nodes-inputs", '{"write": {"mode": "fail"}}')
    assert failed.returncode == 1
    assert "failing on purpose" in summary(failed)["error"]
    [name] = folders(root)
    kept = root / name / "out" / "result.txt"
    assert kept.read_text() == summary(failed)["session_id"]  # there to be looked into
    after = run_tmp(root)
    assert after.returncode == 0, after.stderr  # not "File exists"
    assert folders(root) == {f"{name}.failed"}
    assert (root / f"{name}.failed" / "out" / "result.txt").read_text() == \
        summary(failed)["session_id"]


def test_a_run_does_not_remove_the_tmp_dir_another_run_of_the_flow_uses(tmp_path):
    root = tmp_path / "tmp-root"
    release = tmp_path / "release"
    env = {**cli_env(), "OOCANA_TEMP_ROOT": str(root)}
    waiting = subprocess.Popen(
        cli("run", TMP_FLOW, "--json", "--nodes-inputs",
            json.dumps({"write": {"mode": "wait", "release": str(release)}})),
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        marker = None
        deadline = time.monotonic() + RUN_TIMEOUT  # a bound on a hang, not on speed
        while marker is None and waiting.poll() is None and time.monotonic() < deadline:
            marker = next(iter(root.glob("*/waiting")), None) if root.exists() else None
            time.sleep(0.05)
        assert marker is not None, waiting.communicate()
        other = run_tmp(root)  # completes while the first run holds the folder
        assert other.returncode == 0, other.stderr
        assert marker.exists() and (marker.parent / "out").is_dir()
    finally:
        release.touch()
        out, err = waiting.communicate(timeout=RUN_TIMEOUT)
    assert waiting.returncode == 0, err
    assert summary(subprocess.CompletedProcess([], 0, out, err))["status"] == "completed"
    assert folders(root) == set()  # the last run out cleaned it
