"""Runs never mix and nothing a block does reaches past its own run: session ids, session
folders, processes a crashed block left, what a worker may send, how much a run keeps."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
import time
from pathlib import Path

from helpers import REPO, cli, cli_env, is_alive

import oocana_local

RUN_TIMEOUT = 120


def block(folder: Path, code: str, outputs: tuple[str, ...] = ()) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "main.py").write_text(textwrap.dedent(code))
    lines = ["executor:", "  name: python", "  options:", "    entry: main.py"]
    if outputs:
        lines.append("outputs_def:")
        lines += [f"  - handle: {h}" for h in outputs]
    (folder / "block.oo.yaml").write_text("\n".join(lines) + "\n")
    return folder


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cli(*args), cwd=REPO, env=cli_env(), capture_output=True,
                          text=True, timeout=RUN_TIMEOUT)


def test_a_session_id_that_names_a_path_is_refused(tmp_path: Path) -> None:
    target = block(tmp_path / "b", "def main():\n    return None\n")
    for bad in ("../../escape", "a/b", "..", ".hidden"):
        proc = run_cli("run", str(target), "--session", bad)
        assert proc.returncode == 2, proc.stderr
        assert f"session id {bad!r} is not allowed" in proc.stderr
        assert "Traceback" not in proc.stderr
    assert not (tmp_path / "escape").exists()


def test_a_second_run_with_a_session_in_use_is_refused(tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    started = tmp_path / "started"
    target = block(tmp_path / "wait", f"""
        import os, time
        def main():
            open({str(started)!r}, "w").close()
            while not os.path.exists({str(gate)!r}):
                time.sleep(0.01)
            return {{"out": "first"}}
    """, outputs=("out",))
    session = f"shared-{os.getpid()}"
    first = subprocess.Popen(cli("run", str(target), "--session", session, "--json"), cwd=REPO,
                             env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    try:
        for _ in range(3000):  # a guard against hanging, not a speed bound
            if started.exists() or first.poll() is not None:
                break
            time.sleep(0.01)
        assert started.exists(), first.communicate()[1]
        second = run_cli("run", str(target), "--session", session, "--json")
        assert second.returncode == 2
        assert f"session {session!r} is in use by another run" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        gate.touch()
        out, err = first.communicate(timeout=RUN_TIMEOUT)
    assert first.returncode == 0, err
    assert json.loads(out)["outputs"] == {"out": "first"}


def test_job_ids_differ_between_engines_with_the_same_session_id(tmp_path: Path) -> None:
    target = block(tmp_path / "b", "def main():\n    return None\n")
    ids = []
    for folder in ("one", "two"):  # two engines, one session id, distinct session folders
        result = oocana_local.run(target, oocana_local.RunOptions(
            session_id="same-id", session_dir=tmp_path / folder))
        ids.append({e["job_id"] for e in result.events if e["type"] == "BlockStarted"})
    assert ids[0] and ids[1] and not ids[0] & ids[1]


def test_processes_a_crashed_block_started_die_with_its_worker(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    target = block(tmp_path / "crash", f"""
        import os, subprocess
        def main():
            child = subprocess.Popen(["sleep", "300"])
            with open({str(pid_file)!r}, "w") as f:
                f.write(str(child.pid))
            os._exit(3)
    """)
    proc = run_cli("run", str(target), "--json")
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["nodes"] == {"crash": "crashed"}
    child = int(pid_file.read_text())
    for _ in range(1000):  # reaped by init once killed
        if not is_alive(child):
            break
        time.sleep(0.01)
    assert not is_alive(child)


def test_a_worker_that_sends_garbage_fails_its_job_with_a_clear_error(tmp_path: Path) -> None:
    target = block(tmp_path / "garbage", """
        import os, stat
        def main():
            for fd in range(3, 64):  # the worker's socket to the engine
                try:
                    if stat.S_ISSOCK(os.fstat(fd).st_mode):
                        os.write(fd, b"\\xff\\xff\\xff\\xff")
                except OSError:
                    pass
            import time
            time.sleep(60)
    """)
    proc = run_cli("run", str(target), "--json")
    assert proc.returncode == 1
    summary = json.loads(proc.stdout)
    assert summary["nodes"] == {"garbage": "crashed"}
    assert "the worker process sent a malformed message" in summary["error"]
    assert "larger than the limit" in summary["error"]
    assert "Traceback" not in proc.stderr


def test_a_run_keeps_a_bounded_number_of_log_lines(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("OOCANA_LOCAL_MAX_RECORDED_LOGS", "100")
    target = block(tmp_path / "chatty", """
        def main():
            for i in range(1000):
                print("line", i)
    """)
    seen: list[dict] = []
    result = oocana_local.run(target, subscribers=[seen.append])
    assert result.ok
    kept = [e for e in result.events if e["type"] == "BlockLog"]
    assert len(kept) == 100 and result.dropped_logs == 900
    assert kept[-1]["log"] == "line 99"
    # streaming subscribers still see every line
    assert len([e for e in seen if e["type"] == "BlockLog"]) == 1000


def test_a_loaded_flow_run_again_gets_each_runs_own_session(tmp_path: Path) -> None:
    # The second run reuses the compiled graph and the job specs of the first: what is
    # the session's (id, folder, environment) must still be its own.
    block(tmp_path / "blocks" / "where", """
        import os

        def main(inputs, context):
            return {"seen": [context.session_id, context.session_dir,
                             os.environ.get("WHICH_RUN")]}
    """, outputs=("seen",))
    flow = tmp_path / "flows" / "f"
    flow.mkdir(parents=True)
    (flow / "flow.oo.yaml").write_text(
        "nodes:\n  - node_id: w\n    task: ../../blocks/where\n"
        "outputs_def: [{handle: seen}]\n"
        "outputs_from: [{handle: seen, from_node: [{node_id: w, output_handle: seen}]}]\n")
    with oocana_local.Engine() as engine:
        loaded = engine.load(flow)
        seen = []
        for n in (1, 2):
            options = oocana_local.RunOptions(session_id=f"run-{n}",
                                              session_dir=str(tmp_path / f"s{n}"),
                                              env={"WHICH_RUN": str(n)})
            result = engine.run(loaded, options)
            assert result.status == "completed", result.error
            seen.append(result.outputs["seen"])
    assert seen == [["run-1", str(tmp_path / "s1"), "1"], ["run-2", str(tmp_path / "s2"), "2"]]
