"""``run --debug``: a real DAP client attaches to debugpy in the worker, breakpoints set
by path hit in a block file, a flow's scriptlet and a subflow's block; ``breakpoint()``
stops under --debug and only warns without it; a run nobody attaches to waits without
spending CPU and ends on Ctrl-C with no worker left."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from debug_clients import GUARD, DapClient, cpu_ticks, free_port
from helpers import cli, cli_env, descendants, is_alive

pytest.importorskip("debugpy")

BLOCK_YAML = """\
executor: {name: python, options: {entry: main.py}}
inputs_def: [{handle: n, json_schema: {type: number}}]
outputs_def: [{handle: out, json_schema: {type: number}}]
"""

PROBE = """\
def main(params, context):
    value = params["n"] * 2
    doubled = value + 1
    return {"out": doubled}
"""

SCRIPTLET = """\
def main(params, context):
    tripled = params["n"] * 3
    return {"out": tripled}
"""

INNER = """\
def main(params, context):
    inner = params["n"] - 7
    return {"out": inner}
"""

FLOW = """\
nodes:
  - node_id: probe
    task: self::probe
    inputs_from: [{handle: n, value: 20}]
  - node_id: script
    task:
      inputs_def: [{handle: n, json_schema: {type: number}}]
      outputs_def: [{handle: out, json_schema: {type: number}}]
      executor: {name: python, options: {entry: scriptlets/+python#1.py}}
    inputs_from: [{handle: n, from_node: [{node_id: probe, output_handle: out}]}]
  - node_id: sub
    subflow: self::inner
    inputs_from: [{handle: n, from_node: [{node_id: script, output_handle: out}]}]
outputs_from:
  - {handle: result, from_node: [{node_id: sub, output_handle: out}]}
outputs_def: [{handle: result}]
"""

SUBFLOW = """\
inputs_def: [{handle: n, json_schema: {type: number}}]
outputs_def: [{handle: out, json_schema: {type: number}}]
nodes:
  - node_id: step
    task: self::inner_step
    inputs_from: [{handle: n, from_flow: [{input_handle: n}]}]
outputs_from:
  - {handle: out, from_node: [{node_id: step, output_handle: out}]}
"""


@pytest.fixture
def package(tmp_path: Path) -> Path:
    root = tmp_path / "pkg"
    files = {
        "package.oo.yaml": "name: dbg\nversion: 0.1.0\n",
        "blocks/probe/block.oo.yaml": BLOCK_YAML,
        "blocks/probe/main.py": PROBE,
        "blocks/inner_step/block.oo.yaml": BLOCK_YAML,
        "blocks/inner_step/main.py": INNER,
        "subflows/inner/subflow.oo.yaml": SUBFLOW,
        "flows/main/flow.oo.yaml": FLOW,
        "flows/main/scriptlets/+python#1.py": SCRIPTLET,
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _debug_run(target: Path, port: int, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cli("run", str(target), "--debug", "--debug-port", str(port), "--node-debug-port",
            str(free_port()), "--json", *extra),
        env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _announcement(proc: subprocess.Popen[str], needle: str) -> str:
    """The stderr line that names ``needle`` (the run's ``127.0.0.1:port``)."""
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if needle in line:
            return line
    raise AssertionError(f"no line naming {needle} on stderr:\n{''.join(seen)}")


def _finish(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = proc.communicate(timeout=GUARD)
    assert proc.returncode == 0, err
    return json.loads(out)


def test_breakpoints_by_path_hit_a_block_a_scriptlet_and_a_subflow_block(package):
    port = free_port()
    proc = _debug_run(package / "flows" / "main", port)
    try:
        line = _announcement(proc, f"127.0.0.1:{port}")
        assert "Remote Attach" in line and "DAP" in line
        probe = package / "blocks/probe/main.py"
        scriptlet = package / "flows/main/scriptlets/+python#1.py"
        inner = package / "blocks/inner_step/main.py"
        dap = DapClient(port, proc)
        dap.attach({str(probe): [3], str(scriptlet): [3], str(inner): [3]})
        seen = []
        for path, local, value in ((probe, "value", "40"), (scriptlet, "tripled", "123"),
                                   (inner, "inner", "116")):
            stopped = dap.event("stopped")["body"]
            assert stopped["reason"] == "breakpoint"
            frame = dap.top_frame(stopped["threadId"])
            assert (Path(frame["source"]["path"]), frame["line"]) == (path, 3)
            seen.append(dap.evaluate(local, frame["id"]))
            assert seen[-1] == value
            dap.resume(stopped["threadId"])
        summary = _finish(proc)
        dap.close()
    finally:
        proc.kill()
    assert summary["status"] == "completed"
    assert summary["outputs"] == {"result": 116}


def test_breakpoint_call_stops_in_the_attached_debugger(package):
    block = package / "blocks" / "probe"
    (block / "main.py").write_text(PROBE.replace("    doubled", "    breakpoint()\n    doubled"))
    port = free_port()
    proc = _debug_run(block, port, "--inputs", '{"n": 5}')
    try:
        _announcement(proc, f"127.0.0.1:{port}")
        dap = DapClient(port, proc)
        dap.attach()  # no breakpoint set in the client: breakpoint() alone stops
        stopped = dap.event("stopped")["body"]
        frame = dap.top_frame(stopped["threadId"])
        assert Path(frame["source"]["path"]) == block / "main.py"
        assert frame["line"] in (3, 4)  # at the call, or the line it returns to
        assert dap.evaluate("value", frame["id"]) == "10"
        assert dap.evaluate("value + params['n']", frame["id"]) == "15"
        dap.resume(stopped["threadId"])
        summary = _finish(proc)
        dap.close()
    finally:
        proc.kill()
    assert summary["outputs"] == {"out": 11}


def test_breakpoint_without_debug_warns_and_goes_on(package):
    from oocana_local import Engine

    block = package / "blocks" / "probe"
    (block / "main.py").write_text(PROBE.replace("    doubled", "    breakpoint()\n    doubled"))
    with Engine() as engine:
        result = engine.run(block, inputs={"n": 4})
    assert result.status == "completed"
    assert result.outputs == {"out": 9}
    warnings = [e["warning"] for e in result.events if e["type"] == "BlockWarning"]
    assert len(warnings) == 1
    assert f"{block / 'main.py'}:3" in warnings[0] and "--debug" in warnings[0]


def test_breakpoint_without_debug_is_shown_in_the_terminal(package):
    block = package / "blocks" / "probe"
    (block / "main.py").write_text(PROBE.replace("    doubled", "    breakpoint()\n    doubled"))
    done = subprocess.run(cli("run", str(block), "--inputs", '{"n": 1}'), env=cli_env(),
                          capture_output=True, text=True, timeout=GUARD, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    shown = done.stdout + done.stderr
    assert "main.py:3" in shown and "--debug" in shown


def _adapters(port: int) -> list[int]:
    """debugpy's adapter processes serving ``port`` (they run in a session of their own)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(b"debugpy" in a and b"adapter" in a for a in args) and \
                str(port).encode() in args and is_alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def _no_adapter_left(port: int) -> None:
    """The adapter exits once the worker it served is gone; wait for that."""
    deadline = time.monotonic() + GUARD
    while _adapters(port):
        assert time.monotonic() < deadline, f"debugpy adapters left: {_adapters(port)}"
        time.sleep(0.05)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_run_waiting_for_a_client_spends_no_cpu_and_ends_on_ctrl_c(package):
    port = free_port()
    proc = _debug_run(package / "blocks" / "probe", port, "--inputs", '{"n": 1}')
    try:
        _announcement(proc, f"127.0.0.1:{port}")
        # The job reaches the worker, which then waits for a client: watch both.
        pids = [proc.pid, *descendants(proc.pid), *_adapters(port)]
        assert len(pids) >= 3
        before = cpu_ticks(pids)
        time.sleep(1.0)
        spent = cpu_ticks(pids) - before
        hz = os.sysconf("SC_CLK_TCK")
        assert spent <= hz // 5, f"{spent} ticks of CPU in a second while waiting"
        everyone = {proc.pid, *descendants(proc.pid)}
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=GUARD)
    finally:
        proc.kill()
    assert proc.returncode == 130
    left = [pid for pid in everyone if is_alive(pid)]
    assert not left, f"processes left after Ctrl-C: {left}"
    _no_adapter_left(port)


def test_a_busy_debug_port_is_a_usage_error(package):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            cli("run", str(package / "blocks" / "probe"), "--debug", "--debug-port",
                str(port)), env=cli_env(), capture_output=True, text=True, timeout=GUARD)
    assert done.returncode == 2
    assert f"127.0.0.1:{port} is already in use" in done.stderr
    assert "--debug-port" in done.stderr


def test_the_python_api_checks_debug_settings_before_anything_runs():
    import oocana_local

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(oocana_local.UsageError, match=f"127.0.0.1:{port} is already in use"):
            oocana_local.Engine(debug=oocana_local.DebugSettings(python_port=port))
    with pytest.raises(oocana_local.UsageError, match="must differ"):
        oocana_local.Engine(debug=oocana_local.DebugSettings(python_port=port, node_port=port))


def test_debug_options_are_in_the_help_of_run_and_dev():
    for command in ("run", "dev"):
        done = subprocess.run(cli(command, "--help"), env=cli_env(), capture_output=True,
                              text=True, timeout=GUARD)
        assert "debugging:" in done.stdout
        for flag in ("--debug ", "--debug-port", "--node-debug-port"):
            assert flag in done.stdout


def test_dev_debug_stops_in_every_run_under_one_attached_debugger(tmp_path):
    """``dev --debug``: attach once; the run after a save stops at the same breakpoint,
    in the edited code."""
    (tmp_path / "package.oo.yaml").write_text("name: d\nversion: 0.1.0\n")
    block = tmp_path / "blocks" / "one"
    block.mkdir(parents=True)
    (block / "block.oo.yaml").write_text(BLOCK_YAML)
    (block / "main.py").write_text(PROBE)
    port = free_port()
    proc = subprocess.Popen(
        cli("dev", str(block), "--inputs", '{"n": 2}', "--debug", "--debug-port", str(port),
            "--node-debug-port", str(free_port()), "--json-lines"),
        env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    try:
        _announcement(proc, f"127.0.0.1:{port}")
        dap = DapClient(port, proc)
        dap.attach({str(block / "main.py"): [3]})
        values = []
        for run in (1, 2):
            stopped = dap.event("stopped")["body"]
            frame = dap.top_frame(stopped["threadId"])
            values.append(dap.evaluate("value", frame["id"]))
            dap.resume(stopped["threadId"])
            summary = json.loads(proc.stdout.readline())
            assert summary["status"] == "completed"
            if run == 1:
                (block / "main.py").write_text(PROBE.replace("* 2", "* 3"))
        assert values == ["4", "6"]
        assert summary["outputs"] == {"out": 7}
        dap.close()
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=GUARD)
    finally:
        proc.kill()
    assert proc.returncode == 130


def _attach_and_finish(target: Path, tmp_path: Path) -> tuple[dict[str, Any], list[dict]]:
    port = free_port()
    events = tmp_path / "events.jsonl"
    proc = _debug_run(target, port, "--events", str(events))
    try:
        _announcement(proc, f"127.0.0.1:{port}")
        dap = DapClient(port, proc)
        dap.attach()
        summary = _finish(proc)
        dap.close()
    finally:
        proc.kill()
    return summary, [json.loads(line) for line in events.read_text().splitlines()]


def test_jobs_run_one_at_a_time_in_a_debug_run(tmp_path):
    """The concurrency flow runs two sleeps at once normally; here, one after another."""
    from helpers import FLOWS

    summary, events = _attach_and_finish(FLOWS / "concurrency", tmp_path)
    assert summary["status"] == "completed"
    running = most = 0
    for event in events:
        if event["type"] == "BlockStarted":
            running += 1
            most = max(most, running)
        elif event["type"] == "BlockFinished":
            running -= 1
    assert most == 1
    assert sum(e["type"] == "BlockStarted" for e in events) == 5


def test_a_block_calling_run_block_completes_in_a_debug_run(tmp_path):
    """The caller waits on blocks and a subflow it started: it lends them its turn."""
    from helpers import FLOWS

    summary, _ = _attach_and_finish(FLOWS / "run_block", tmp_path)
    assert summary["status"] == "completed"
    assert summary["nodes"] == {"caller": "done"}
    assert summary["outputs"]["report"]["ok"]["outputs"][-1] == {"out": "hihi"}


def test_timeouts_are_suspended_in_a_debug_run(tmp_path):
    """A node whose timeout is shorter than its block: it completes under --debug."""
    from helpers import FLOWS

    flow = (FLOWS / "timeout" / "flow.oo.yaml").read_text()
    assert "timeout" in flow
    summary, events = _attach_and_finish(FLOWS / "timeout", tmp_path)
    assert not [e for e in events if "imeout" in str(e.get("error") or "")]
    assert all(state == "done" for state in summary["nodes"].values()), summary


def test_ctrl_c_ends_a_run_paused_at_a_breakpoint(package):
    port = free_port()
    proc = _debug_run(package / "blocks" / "probe", port, "--inputs", '{"n": 1}')
    try:
        _announcement(proc, f"127.0.0.1:{port}")
        dap = DapClient(port, proc)
        dap.attach({str(package / "blocks/probe/main.py"): [3]})
        dap.event("stopped")
        everyone = {proc.pid, *descendants(proc.pid)}
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=GUARD)
        dap.close()
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert not [pid for pid in everyone if is_alive(pid)]
    _no_adapter_left(port)


INLINE_FLOW = """\
nodes:
  - node_id: inline
    task:
      inputs_def: [{handle: n, json_schema: {type: number}}]
      outputs_def: [{handle: out, json_schema: {type: number}}]
      executor:
        name: python
        options:
          source: |
            def main(params, context):
                halved = params["n"] / 2
                return {"out": halved}
    inputs_from: [{handle: n, value: 9}]
outputs_from:
  - {handle: result, from_node: [{node_id: inline, output_handle: out}]}
outputs_def: [{handle: result}]
"""


def test_a_breakpoint_in_an_inline_source_scriptlet(tmp_path):
    """Inline ``source:`` is written to ``.scriptlets/<node_id>.py`` beside the flow when
    it runs, where a user finds it after a first run; a breakpoint set there hits."""
    from oocana_local import Engine

    flow = tmp_path / "flows" / "inline"
    flow.mkdir(parents=True)
    (flow / "flow.oo.yaml").write_text(INLINE_FLOW)
    scriptlet = flow / ".scriptlets" / "inline.py"
    with Engine() as engine:
        assert engine.run(flow).outputs == {"result": 4.5}
    assert scriptlet.is_file()
    port = free_port()
    proc = _debug_run(flow, port)
    try:
        _announcement(proc, f"127.0.0.1:{port}")
        dap = DapClient(port, proc)
        dap.attach({str(scriptlet): [3]})
        stopped = dap.event("stopped")["body"]
        frame = dap.top_frame(stopped["threadId"])
        assert (Path(frame["source"]["path"]), frame["line"]) == (scriptlet, 3)
        assert dap.evaluate("halved", frame["id"]) == "4.5"
        dap.resume(stopped["threadId"])
        summary = _finish(proc)
        dap.close()
    finally:
        proc.kill()
    assert summary["outputs"] == {"result": 4.5}
