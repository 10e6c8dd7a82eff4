"""Service blocks (engine reference §1.8, python reference §3.8): one long-lived worker per
service, its lifetimes, crashes and shutdown, through the CLI, the public API, a dev
session and the pytest kit. Scenario package: ``tests/flows/services`` (package ``svcs``)."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time

import pytest
from helpers import (
    FLOWS,
    REPO,
    cli,
    cli_env,
    descendants,
    flow_outputs,
    is_alive,
    log_lines,
    warnings_of,
)

import oocana_local
from oocana_local.devmode import DevSession

SERVICES = FLOWS / "services"
SEARCH = [str(FLOWS)]  # where the package svcs is found for svcs::<service>::<block>
RUN_TIMEOUT = 120


def flow(name: str):
    return SERVICES / "flows" / name


def run_cli(*args: str) -> tuple[subprocess.CompletedProcess, dict]:
    proc = subprocess.run(cli("run", *args, "--json", "--search-paths", SEARCH[0]), cwd=REPO,
                          env=cli_env(), capture_output=True, text=True, timeout=RUN_TIMEOUT)
    try:
        return proc, json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"no JSON summary:\n{proc.stdout}\n{proc.stderr}")


def wait_gone(pid: int) -> bool:
    deadline = time.monotonic() + 15
    while is_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not is_alive(pid)


@pytest.fixture
def engine():
    """An engine of this test alone: app_end services live as long as it."""
    with oocana_local.Engine(search_paths=SEARCH) as engine:
        yield engine


# -- CLI -------------------------------------------------------------------------------------

def test_cli_service_called_three_times_keeps_state():
    proc, summary = run_cli(str(flow("three_calls")))
    assert proc.returncode == 0, proc.stderr
    outputs = summary["outputs"]
    assert outputs["totals"] == 4 and outputs["calls"] == 3  # totals 1, 2, 4
    assert outputs["first_pid"] == outputs["last_pid"]
    assert wait_gone(outputs["first_pid"])  # session_end: stopped with the run


def test_cli_app_end_service_stops_when_the_run_exits():
    first_proc, first = run_cli(str(flow("forever")))
    second_proc, second = run_cli(str(flow("forever")))
    assert first_proc.returncode == second_proc.returncode == 0
    assert first["outputs"]["total"] == second["outputs"]["total"] == 1  # a new engine each
    assert wait_gone(first["outputs"]["pid"]) and wait_gone(second["outputs"]["pid"])


def test_cli_block_end_and_callable_handler():
    proc, summary = run_cli(str(flow("block_end")))
    assert proc.returncode == 0, proc.stderr
    out = summary["outputs"]
    assert out["again"] == 2 and out["later"] == 2 and out["pid_a"] != out["pid_c"]
    proc, summary = run_cli(str(flow("callable")))
    assert summary["outputs"] == {"text": "hello flows from tally", "seen": 2}


def test_cli_crashing_service_fails_the_call():
    proc, summary = run_cli(str(flow("crash")))
    assert proc.returncode != 0
    assert summary["status"] == "failed" and summary["nodes"] == {"boom": "crashed"}
    assert "exit code 3" in summary["error"]


@pytest.mark.parametrize("language", ["python", "nodejs"])
def test_cli_ctrl_c_stops_every_service(tmp_path, language):
    out_file = tmp_path / "out"
    with open(out_file, "w") as out, open(tmp_path / "err", "w") as err:
        proc = subprocess.Popen(
            cli("run", str(flow("interrupt" if language == "python" else "node_interrupt")), "--search-paths", SEARCH[0]),
            cwd=REPO, env=cli_env(), stdout=out, stderr=err, start_new_session=True)
    below: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while "pause started" not in out_file.read_text():
            assert proc.poll() is None, (tmp_path / "err").read_text()
            assert time.monotonic() < deadline, "the flow never reached its pause"
            time.sleep(0.05)
        below = descendants(proc.pid)
        if language == "python":
            assert len(below) >= 2  # the service's worker and the pool's
        else:
            assert _node_processes(below)  # the service's Node worker is up
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 130
        assert all(wait_gone(pid) for pid in below)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in below:
            if is_alive(pid):
                os.kill(pid, signal.SIGKILL)


# -- the public API ----------------------------------------------------------------------------

def test_session_service_state_calls_and_events(engine):
    result = engine.run(flow("three_calls"))
    assert result.ok, result.error
    assert flow_outputs(result, "totals") == [1, 2, 4]
    assert result.outputs["calls"] == 3
    pid = result.outputs["first_pid"]
    assert result.outputs["last_pid"] == pid
    started = [e for e in result.events if e["type"] == "BlockStarted"]
    assert [e["stacks"][-1]["node_id"] for e in started] == ["one", "two", "three"]
    assert all(e["block_path"].endswith("services/counter/service.oo.yaml") for e in started)
    assert any("extra" in w for w in warnings_of(result, "one"))  # not in add's outputs
    assert any(e["type"] == "BlockProgress" for e in result.events)
    again = engine.run(flow("three_calls"))  # a new session: a new instance
    assert flow_outputs(again, "totals") == [1, 2, 4]
    assert again.outputs["first_pid"] != pid and wait_gone(pid)


@pytest.mark.parametrize("lang", ["", "node_"], ids=["python", "nodejs"])
def test_block_end_service_restarts_after_keep_alive(engine, lang):
    result = engine.run(flow(f"{lang}block_end"))
    assert result.ok, result.error
    assert result.outputs["again"] == 2  # back to back: one instance
    assert result.outputs["later"] == 2  # after the pause: fresh (4 if it had lived on)
    assert result.outputs["pid_a"] != result.outputs["pid_c"]
    assert wait_gone(result.outputs["pid_a"])


@pytest.mark.parametrize("lang", ["", "node_"], ids=["python", "nodejs"])
def test_app_end_service_lives_with_the_engine_and_restarts_after_a_crash(lang):
    engine = oocana_local.Engine(search_paths=SEARCH)
    try:
        first = engine.run(flow(f"{lang}forever"))
        second = engine.run(flow(f"{lang}forever"))
        assert (first.outputs["total"], second.outputs["total"]) == (1, 2)
        pid = first.outputs["pid"]
        assert second.outputs["pid"] == pid and is_alive(pid)
        crash = engine.run(flow(f"{lang}crash"))
        assert crash.status == "failed" and crash.nodes["boom"] == "crashed"
        assert "exit code 3" in crash.error
        assert wait_gone(pid)
        restarted = engine.run(flow(f"{lang}forever"))
        assert restarted.ok, restarted.error
        assert restarted.outputs["total"] == 1  # a fresh instance
        new_pid = restarted.outputs["pid"]
        assert new_pid != pid and is_alive(new_pid)
    finally:
        engine.close()
    assert wait_gone(new_pid)


def test_a_block_calls_a_service_with_run_block(engine):
    result = engine.run(flow("from_block"))
    assert result.ok and result.outputs == {"totals": [1, 3]}
    calls = [e for e in result.events if e["type"] == "BlockStarted"
             and e.get("node_id") == "run_block::self::counter::add"]
    assert [e["inputs"] for e in calls] == [{"n": 1}, {"n": 2}]


def test_callable_block_handler(engine):
    result = engine.run(flow("callable"))
    assert result.ok and result.outputs == {"text": "hello flows from tally", "seen": 2}


def test_service_used_from_two_flows_by_one_dev_session(tmp_path):
    target = tmp_path / "flows" / "dev"
    target.mkdir(parents=True)
    manifest = target / "flow.oo.yaml"
    manifest.write_text(flow("forever").joinpath("flow.oo.yaml").read_text())
    runs: queue.Queue = queue.Queue()
    session = DevSession(target, on_run=runs.put, search_paths=SEARCH)
    stop = threading.Event()
    thread = threading.Thread(target=session.watch, args=(stop,), daemon=True)
    thread.start()
    try:
        first = runs.get(timeout=RUN_TIMEOUT)
        assert first.result.outputs["total"] == 1
        assert session.watching.wait(RUN_TIMEOUT)
        time.sleep(0.2)
        # the second flow: other nodes, other inputs, the same app_end service
        manifest.write_text("""
outputs_def: [{handle: total}, {handle: pid}]
nodes:
  - node_id: ten
    service: svcs::forever::add
    inputs_from: [{handle: n, value: 10}]
outputs_from:
  - {handle: total, from_node: [{node_id: ten, output_handle: total}]}
  - {handle: pid, from_node: [{node_id: ten, output_handle: pid}]}
""")
        second = runs.get(timeout=RUN_TIMEOUT)
        assert second.result.outputs["total"] == 11  # the state of the first flow's calls
        assert second.result.outputs["pid"] == first.result.outputs["pid"]
    finally:
        stop.set()
        thread.join(RUN_TIMEOUT)
        session.close()
    assert wait_gone(first.result.outputs["pid"])


def test_check_validates_service_references(tmp_path):
    bad = tmp_path / "flow.oo.yaml"
    bad.write_text("""
nodes:
  - node_id: typo
    service: svcs::counter::ad
    inputs_from: [{handle: n, value: 1}]
  - node_id: short
    service: svcs::counter
""")
    proc = subprocess.run(cli("check", str(bad), "--search-paths", SEARCH[0]), cwd=REPO,
                          env=cli_env(), capture_output=True, text=True, timeout=RUN_TIMEOUT)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "service 'svcs::counter' has no block 'ad'" in out and "add, crash" in out
    assert "must be written <package>::<service>::<block>" in out
    good = subprocess.run(cli("check", str(SERVICES), "--search-paths", SEARCH[0]), cwd=REPO,
                          env=cli_env(), capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert good.returncode == 0, good.stdout + good.stderr


# -- the kit -------------------------------------------------------------------------------------

def test_kit_run_block_runs_a_service_block(run_block, run_flow):
    result = run_block("svcs::counter::add", {"n": 5}, search_paths=SEARCH)
    assert result.outputs["total"] == 5 and result.outputs["calls"] == 1
    tally = run_block("svcs::tally::hello", {"who": "kit"}, search_paths=SEARCH)
    assert tally.outputs == {"text": "hello kit from tally"}
    three = run_flow(flow("three_calls"), search_paths=SEARCH)
    assert three.node_outputs["three"]["total"] == [4]
    assert three.outputs["first_pid"] == three.outputs["last_pid"]


def test_services_benchmark_prints_its_table():
    bench = REPO / "benchmarks" / "services.py"
    done = subprocess.run([sys.executable, str(bench), "--repeat", "1"], cwd=REPO,
                          env=cli_env(), capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert done.returncode == 0, done.stderr
    rows = [line.split()[0] for line in done.stdout.splitlines()[1:]]
    assert rows == ["task", "service,", "service,", "3"]


def test_app_end_service_lives_across_server_runs(tmp_path):
    import asyncio
    import socket

    import httpx
    from oomol_connect_sdk import OomolConnectClient

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**cli_env(), "OOCANA_LOCAL_HOME": str(tmp_path)}
    proc = subprocess.Popen(
        cli("serve", str(SERVICES), "--search-paths", SEARCH[0], "--port", str(port),
            "--token", "token-1234", "--db", str(tmp_path / "serve.db")),
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, "no server"
            try:
                if httpx.get(f"{url}/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)

        async def two_runs():
            async with OomolConnectClient({"base_url": f"{url}/api",
                                           "api_token": "token-1234"}) as client:
                return [(await client.tasks.run(
                    {"blockId": "forever", "inputValues": {}},
                    {"interval_ms": 50, "backoff_strategy": "fixed",
                     "timeout_ms": 120_000}))["result"] for _ in range(2)]

        first, second = asyncio.run(two_runs())
        assert (first["total"], second["total"]) == (1, 2)
        assert first["pid"] == second["pid"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert wait_gone(first["pid"])


# -- Node.js services ----------------------------------------------------------------------------

def _node_processes(pids: set[int]) -> set[int]:
    """The Node.js processes among ``pids``."""
    found = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                if b"worker.mjs" in cmdline.read():
                    found.add(pid)
        except OSError:
            pass
    return found


def test_cli_node_services_like_oocana_node_flow_examples():
    proc, summary = run_cli(str(flow("node_service")))
    assert proc.returncode == 0, proc.stderr
    out = summary["outputs"]
    # app's dict handler: `one` gave 1, `end` (the app block) 1 + 1, two calls kept in state
    assert (out["app"], out["calls"]) == (2, 2)
    # greeter's one function handler serves both its blocks, in a TypeScript default export
    assert out["text"] == "hello flows from greeter" and out["seen"] == 2
    assert wait_gone(out["pid"])  # session_end: stopped with the run


def test_node_service_events_and_messages(engine):
    result = engine.run(flow("node_service"))
    assert result.ok, result.error
    messages = [(e["stacks"][-1]["node_id"], e["payload"]) for e in result.events
                if e["type"] == "BlockMessage"]
    assert sorted(messages, key=str) == [("end", {"from": "app"}), ("one", {"from": "one"})]
    started = [e for e in result.events if e["type"] == "BlockStarted"
               and e["stacks"][-1]["node_id"] in ("one", "end")]
    assert all(e["block_path"].endswith("services/app/service.oo.yaml") for e in started)


def test_kit_runs_node_service_blocks(run_block, run_flow):
    one = run_block("svcs::app::one", {}, search_paths=SEARCH)
    assert one.outputs == {"one": 1}
    hello = run_block("svcs::greeter::hello", {"who": "kit"}, search_paths=SEARCH)
    assert hello.outputs == {"text": "hello kit from greeter"}
    both = run_flow(flow("node_service"), search_paths=SEARCH)
    assert both.node_outputs["end"]["app"] == [2]


@pytest.mark.parametrize("name", ["meet", "meet_py"])
def test_one_service_runs_several_calls_at_once(run_flow, name):
    # Each call waits (in the service) until the other one has arrived: had the service
    # run them one after the other, the first would wait in vain and fail. Node.js (gate)
    # and Python (pygate, each call on a thread of its own).
    result = run_flow(flow(name), search_paths=SEARCH)
    assert result.outputs["a_met"] == "b" and result.outputs["b_met"] == "a"
    assert result.outputs["pid_a"] == result.outputs["pid_b"]  # one service process


def test_what_concurrent_python_calls_print_stays_with_each_call(engine):
    result = engine.run(flow("meet_py"))
    assert result.ok, result.error
    for me, other in (("a", "b"), ("b", "a")):
        assert log_lines(result, f"meet_{me}") == [f"{me} is waiting for {other}",
                                                   f"{me} met {other}"]


@pytest.mark.parametrize("name", ["started_early", "started_early_py"])
@pytest.mark.parametrize("cache", [[], ["--use-cache", "--cache-dir", "{tmp}/cache"]],
                         ids=["plain", "use-cache"])
def test_cli_start_at_session_start_starts_the_service_before_its_first_call(tmp_path, name,
                                                                             cache):
    # `seen` waits for the mark the service's start writes; only after it is the service
    # called. A service started by its first call would never write it: `seen` would fail.
    # Node.js (gate) and Python (early); with the node cache too (it wraps the executors).
    cache = [arg.format(tmp=tmp_path) for arg in cache]
    proc = subprocess.run(
        cli("run", str(flow(name)), "--json", "--search-paths", SEARCH[0], *cache),
        cwd=REPO, env={**cli_env(), "SVC_MARKS": str(tmp_path)}, capture_output=True,
        text=True, timeout=RUN_TIMEOUT)
    summary = json.loads(proc.stdout)
    assert proc.returncode == 0, summary["error"]
    marks = list(tmp_path.glob("started-*"))
    assert len(marks) == 1  # started once: the call met the instance the run started
    assert summary["outputs"]["marked_pid"] == summary["outputs"]["call_pid"]
    assert wait_gone(summary["outputs"]["call_pid"])


def test_check_names_what_is_wrong_with_a_node_service(tmp_path):
    service = tmp_path / "services" / "broken"
    service.mkdir(parents=True)
    (tmp_path / "package.oo.yaml").write_text("name: broken\nversion: 0.1.0\n")
    (service / "service.oo.yaml").write_text(
        "executor: {name: nodejs, entry: nope.ts, start_at: at_noon}\n"
        "blocks: [{name: b}]\n")
    unnamed = tmp_path / "services" / "unnamed"
    unnamed.mkdir()
    (unnamed / "service.oo.yaml").write_text(
        "executor: {name: nodejs, entry: index.ts, function: start}\nblocks: [{name: b}]\n")
    (unnamed / "index.ts").write_text("export function begin(service: any) {}\n")
    flows = tmp_path / "flows" / "f"
    flows.mkdir(parents=True)
    (flows / "flow.oo.yaml").write_text(
        "nodes:\n  - node_id: n\n    service: self::broken::b\n"
        "  - node_id: m\n    service: self::unnamed::b\n")
    proc = subprocess.run(cli("check", str(flows)), cwd=REPO, env=cli_env(),
                          capture_output=True, text=True, timeout=RUN_TIMEOUT)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "entry file 'nope.ts' not found" in out and "service.oo.yaml:1" in out
    assert "start_at 'at_noon' is unknown" in out
    assert "index.ts exports no function 'start' (executor.function)" in out


def test_a_service_started_early_stops_with_a_run_that_fails_at_once(monkeypatch):
    # Without SVC_MARKS `seen` fails at once: the run ends while gate may still be
    # starting; it must not outlive the run's session.
    monkeypatch.delenv("SVC_MARKS", raising=False)
    # Node workers of other engines in this test process (warm session engines) are not ours.
    before = _node_processes(descendants(os.getpid()))
    with oocana_local.Engine(search_paths=SEARCH) as engine:
        for _ in range(3):
            result = engine.run(flow("started_early"))
            assert result.status == "failed" and result.nodes["seen"] == "failed"
            assert "SVC_MARKS" in result.error
            deadline = time.monotonic() + 15
            while (_node_processes(descendants(os.getpid())) - before
                   and time.monotonic() < deadline):
                time.sleep(0.05)
            assert not _node_processes(descendants(os.getpid())) - before


def test_calls_wait_for_notify_ready_of_a_python_service(run_block):
    # main returns at once; the service is ready (3 steps) only when its thread says so.
    result = run_block("svcs::warming::steps", {}, search_paths=SEARCH)
    assert result.outputs == {"steps": 3}
