"""Faults on the Ray executor behave as on the local pool: a dead actor fails only its
job, with the cause, and is replaced; a node timeout kills the actor running the job;
Ctrl-C leaves no Ray process the run started. Also: declared resources reach Ray, and
asking for Ray without it installed is one clear message."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from helpers import FLOWS, REPO, cli, cli_env, descendants, is_alive, log_lines


def _block(folder: Path, code: str, yaml_extra: str = "", outputs: str = "[{handle: out}]"
           ) -> None:
    folder.mkdir(parents=True)
    (folder / "block.oo.yaml").write_text(
        "executor:\n  name: python\n  options:\n    entry: main.py\n" + yaml_extra
        + f"outputs_def: {outputs}\n")
    (folder / "main.py").write_text(code)


def _wait_gone(pids: set[int], seconds: float = 30.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while any(is_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return [p for p in pids if is_alive(p)]


def test_a_crashing_block_fails_its_node_with_the_cause_and_its_actor_is_replaced(
        ray_engine):
    crashed = ray_engine.run(FLOWS / "crash")

    assert crashed.status == "failed"
    assert "crashed" in crashed.nodes.values()
    assert "died" in (crashed.error or "")
    node = next(n for n, state in crashed.nodes.items() if state == "crashed")
    assert "about to crash" in log_lines(crashed, node)

    again = ray_engine.run(FLOWS / "chain")
    assert again.status == "completed", again.error
    assert again.outputs == {"total": 113}


def test_a_node_timeout_kills_the_actor_running_the_job(ray_engine, tmp_path):
    pid_file = tmp_path / "pid"
    _block(tmp_path / "sleepy",
           "import os, time\n\n"
           "def main(params):\n"
           f"    open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
           "    time.sleep(60)\n")
    (tmp_path / "flow.oo.yaml").write_text(
        "nodes:\n  - {node_id: sleepy, task: ./sleepy, timeout: 2}\n")

    result = ray_engine.run(tmp_path)

    assert result.status == "failed"
    assert result.nodes == {"sleepy": "timeout"}
    pid = int(pid_file.read_text())
    assert not _wait_gone({pid}), "the actor of a timed-out job must be stopped"
    assert ray_engine.run(FLOWS / "chain").status == "completed"


def test_declared_resources_are_what_ray_gives_the_block(ray_engine, tmp_path):
    _block(tmp_path / "sized",
           "import ray\n\n"
           "def main(params):\n"
           "    got = ray.get_runtime_context().get_assigned_resources()\n"
           "    return {'out': {k: v for k, v in got.items() if k in ('CPU', 'memory')}}\n",
           "    resources: {num_cpus: 0.5, memory: 64MiB}\n")
    _block(tmp_path / "typo", "def main(params):\n    return {'out': 1}\n",
           "    resources: {gpus: 1}\n")

    sized = ray_engine.run(tmp_path / "sized")
    typo = ray_engine.run(tmp_path / "typo")

    assert sized.status == "completed", sized.error
    assert sized.outputs == {"out": {"CPU": 0.5, "memory": 64 * 1024**2}}
    assert typo.status == "failed"
    assert "executor.options.resources: unknown key(s) gpus" in (typo.error or "")


def test_asking_for_ray_without_ray_installed_is_one_clear_message():
    hide_ray = ("import sys; sys.modules['ray'] = None; from oocana_local.cli import main; "
                "sys.exit(main())")
    proc = subprocess.run(
        [sys.executable, "-c", hide_ray, "run", str(REPO / "flows" / "quickstart"),
         "--executor", "ray"],
        cwd=REPO, env=cli_env(), capture_output=True, text=True, timeout=60)

    assert proc.returncode == 2
    assert proc.stderr.strip() == ('oocana-local: the Ray executor needs Ray: pip install '
                                   '"oocana-local[ray]" (or pip install ray)')


def test_ctrl_c_stops_the_run_and_every_ray_process_it_started(tmp_path):
    marker = tmp_path / "started"
    events_file = tmp_path / "events.jsonl"
    env = {**cli_env(), "OOCANA_LOCAL_EXECUTOR": "ray"}
    env.pop("OOCANA_LOCAL_RAY_ADDRESS", None)
    env.pop("RAY_ADDRESS", None)
    with open(tmp_path / "err", "w") as err:
        proc = subprocess.Popen(
            cli("run", str(FLOWS / "slow"), "--inputs", json.dumps({"marker": str(marker)}),
                "--events", str(events_file), "--json"),
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
    started: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, (tmp_path / "err").read_text()
            assert time.monotonic() < deadline, "the slow flow never started"
            time.sleep(0.1)
        started = descendants(proc.pid)
        assert len(started) >= 3, "a local Ray runtime and its actors run below the CLI"

        proc.send_signal(signal.SIGINT)
        returncode = proc.wait(timeout=60)

        assert returncode == 130, (tmp_path / "err").read_text()
        assert not _wait_gone(started), "Ray processes of the run outlived it"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in started:
            if is_alive(pid):
                os.kill(pid, signal.SIGKILL)
    events = [json.loads(line) for line in events_file.read_text().splitlines() if line]
    assert events[-1]["type"] == "SessionFinished"
    assert "Cancelled" in events[-1].get("error", "")
