"""The run store across restarts, the ``runs`` and ``serve`` commands, request limits."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys

import httpx
import pytest
from oomol_connect_sdk import OomolConnectClient
from server import Server, wait_until

from oocana_local.cli import main

FAST = {"interval_ms": 50, "backoff_strategy": "fixed", "timeout_ms": 120_000}


def connect_run(server, block_id, inputs):
    async def go():
        async with OomolConnectClient({"base_url": f"{server.url}/api",
                                       "api_token": server.token}) as c:
            return await c.tasks.run({"blockId": block_id, "inputValues": inputs}, FAST)

    return asyncio.run(go())


def test_a_restart_keeps_the_history(tmp_path, capsys):
    with Server(tmp_path) as first:
        done = connect_run(first, "serve-fixtures::echo", {"text": "remember me"})
    with Server(tmp_path) as second:
        auth = {"Authorization": second.token}
        task = httpx.get(f"{second.url}/api/v1/tasks/{done['task_id']}", headers=auth).json()
        logs = httpx.get(f"{second.url}/api/v1/tasks/{done['task_id']}/logs",
                         headers=auth).json()["logs"]
    assert task["status"] == "completed" and task["result"] == {"text": "remember me"}
    assert logs[-1]["event"]["result"] == {"text": "remember me"}

    assert main(["runs", "--db", str(tmp_path / "serve.db"), "--json"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    listed = json.loads(line)
    assert listed["id"] == done["task_id"] and listed["status"] == "completed"
    assert listed["target"] == "serve-fixtures::echo"


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["killed", "stopped"])
def test_a_run_going_when_the_server_died_shows_as_failed(tmp_path, gate, capsys, how):
    server = Server(tmp_path).start()
    try:
        created = httpx.post(f"{server.url}/api/v1/tasks",
                             headers={"Authorization": server.token},
                             json={"blockId": "streamer", "inputValues": {"gate": str(gate)}}
                             ).json()
        task_id = created["task"]["id"]
        wait_until(lambda: httpx.get(f"{server.url}/api/v1/tasks/{task_id}",
                                     headers={"Authorization": server.token}
                                     ).json()["status"] == "running", "the run to start")
    finally:
        server.stop(how)
        gate.touch()  # lets the orphaned worker finish
    with Server(tmp_path) as restarted:
        task = httpx.get(f"{restarted.url}/api/v1/tasks/{task_id}",
                         headers={"Authorization": restarted.token}).json()
    assert task["status"] == "failed" and task["error"] == "server stopped"
    assert main(["runs", "--db", str(tmp_path / "serve.db")]) == 0
    assert "server stopped" in capsys.readouterr().out


def test_the_store_keeps_a_bounded_number_of_events_per_task_and_says_how_many_it_dropped(
        tmp_path):
    with Server(tmp_path, extra=("--max-task-events", "40")) as server:
        done = connect_run(server, "serve-fixtures::chatty", {"lines": 500})
        auth = {"Authorization": server.token}
        task = httpx.get(f"{server.url}/api/v1/tasks/{done['task_id']}", headers=auth).json()
        logs = httpx.get(f"{server.url}/api/v1/tasks/{done['task_id']}/logs",
                         headers=auth).json()["logs"]

    # The task's end is stored whole: its status, its outputs, its last event.
    assert task["status"] == "completed" and task["result"] == {"lines": 500}
    assert logs[-1]["type"] == "BlockFinished" and logs[-1]["event"]["result"] == {"lines": 500}
    notes = [log["event"] for log in logs if log["type"] == "BlockWarning"
             and log["event"]["stacks"] == []]
    kept = [log for log in logs if log["event"] not in notes]
    lines = [log["event"]["log"] for log in kept if log["type"] == "BlockLog"]
    assert 0 < len(lines) < 40 and lines == [f"line {i}" for i in range(len(lines))]
    ends = {"BlockFinished", "FlowFinished", "SessionFinished"}
    assert len([log for log in kept if log["type"] not in ends]) <= 40
    # One note where the gap begins, one at the end with the count, by type.
    first, last = notes
    assert "keeps 40 events per task" in first["warning"]
    assert last["dropped_types"]["BlockLog"] == 500 - len(lines)
    assert last["dropped_events"] == sum(last["dropped_types"].values())
    assert f"{last['dropped_events']} event(s) of this task were not stored" in last["warning"]
    assert [log["id"] for log in logs] == list(range(1, len(logs) + 1))


def test_the_web_event_stream_of_a_capped_task_numbers_what_the_store_holds(tmp_path, gate):
    with Server(tmp_path, extra=("--max-task-events", "40")) as server:
        auth = {"Authorization": server.token}
        created = httpx.post(f"{server.url}/api/v1/tasks", headers=auth, json={
            "blockId": "serve-fixtures::chatty_gate",
            "inputValues": {"lines": 100, "gate": str(gate)}}).json()
        task_id = created["task"]["id"]

        def stored():
            return httpx.get(f"{server.url}/api/v1/tasks/{task_id}/logs",
                             headers=auth).json()["logs"]

        wait_until(lambda: any(log["type"] == "BlockWarning" for log in stored()),
                   "the store's cap to be reached")
        frames = []  # (id, message) of the web view's stream, followed from here
        with httpx.stream("GET", f"{server.url}/runs/{task_id}/events",
                          headers={"Authorization": f"Bearer {server.token}"},
                          timeout=120) as answer:
            for line in answer.iter_lines():
                if line.startswith("id: "):
                    seq = int(line[4:])
                elif line.startswith("data: ") and line != "data: {}":  # {}: the end
                    frames.append((seq, json.loads(line[6:])))
                    gate.touch()  # the stream is following: the rest comes live
        kept = {log["id"]: log for log in stored()}

    ids = [seq for seq, _ in frames]
    assert ids == sorted(ids) and set(ids) == set(kept)  # each stored event, once
    firsts = {}
    for seq, message in frames:
        firsts.setdefault(seq, message)
    assert all(firsts[seq]["type"] == kept[seq]["type"] for seq in kept)
    # What came live after the cap was not stored, but the stream showed it all, in order,
    # numbered with the last stored event's number.
    after = [m["log"] for _, m in frames if m["type"] == "BlockLog" and "after" in m["log"]]
    assert after == [f"after {i}" for i in range(100)]
    assert not any("after" in str(log["event"].get("log")) for log in kept.values())
    assert frames[-1][1]["type"] == "BlockFinished" and frames[-1][0] == max(kept)


def test_requests_over_the_size_limit_are_refused(server):
    answer = httpx.post(f"{server.url}/api/v1/tasks", headers={
        "Authorization": server.token}, content=b"x" * (65 * 1024 * 1024))
    assert answer.status_code == 413


def test_runs_beyond_max_concurrent_wait_in_the_queue(tmp_path, gate):
    with Server(tmp_path, extra=("--max-concurrent", "1")) as server:
        auth = {"Authorization": server.token}

        def create(inputs, block="streamer"):
            return httpx.post(f"{server.url}/api/v1/tasks", headers=auth, json={
                "blockId": block, "inputValues": inputs}).json()["task"]["id"]

        def status(task_id):
            return httpx.get(f"{server.url}/api/v1/tasks/{task_id}", headers=auth
                             ).json()["status"]

        first = create({"gate": str(gate)})
        wait_until(lambda: status(first) == "running", "the first run")
        queued = create({"text": "queued"}, "echo_flow")
        assert status(queued) == "pending"
        gate.touch()
        wait_until(lambda: status(queued) == "completed", "the queued run")
        assert status(first) == "completed"


def test_a_non_loopback_host_needs_a_token(monkeypatch, capsys):
    monkeypatch.delenv("OOCANA_LOCAL_TOKEN", raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--port", "1"]) == 2
    assert "without a token" in capsys.readouterr().err


def test_runs_without_a_store_says_so(tmp_path, capsys):
    assert main(["runs", "--db", str(tmp_path / "none.db")]) == 2
    assert "no run store" in capsys.readouterr().err


@pytest.mark.parametrize("header", ["Authorization", "X-API-Key"])
def test_the_token_is_never_echoed(server, header):
    answer = httpx.get(f"{server.url}/api/v1/tasks/{server.token}",
                       headers={header: server.token})
    assert answer.status_code == 404 and server.token not in answer.text


def test_a_token_quoted_back_in_an_error_is_masked(server):
    answer = httpx.post(f"{server.url}/api/v1/tasks", headers={"Authorization": server.token},
                        json={"blockId": "serve-fixtures::echo",
                              "inputValues": {server.token: 1}})
    assert answer.status_code == 400 and "unknown input handle" in answer.json()["message"]
    assert server.token not in answer.text


def test_without_the_serve_extra_the_message_says_what_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if it were not installed
    assert main(["serve", "--port", "1"]) == 2
    assert 'pip install "oocana-local[serve]"' in capsys.readouterr().err


def test_the_cli_does_not_import_the_server_for_other_commands():
    code = ("import sys, oocana_local.cli as cli; cli.build_parser(); "
            "print(sorted(m for m in ('fastapi', 'uvicorn', 'starlette') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
