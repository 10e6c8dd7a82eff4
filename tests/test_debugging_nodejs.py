"""``run --debug`` with Node.js blocks: a Chrome DevTools Protocol client attaches to the
worker's inspector, pauses a JavaScript block at a breakpoint, reads a local and resumes;
a TypeScript block pauses at the line of the .ts file, found through its source map as
DevTools and VS Code find it."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from debug_clients import (
    GUARD,
    CdpClient,
    cpu_ticks,
    free_port,
    inline_source_map,
    source_map_lines,
)
from helpers import cli, cli_env

pytest.importorskip("websockets")
pytest.importorskip("debugpy")

JS = """\
export default async function (params, context) {
  const value = params.n * 2;
  const doubled = value + 1;
  return { out: doubled };
}
"""

TS = """\
type Inputs = { n: number };
interface Outputs { out: number }

export default async function (params: Inputs, context: unknown): Promise<Outputs> {
  const value: number = params.n * 2;
  const doubled: number = value + 1;
  return { out: doubled };
}
"""


def _block(root: Path, name: str, entry: str, code: str) -> Path:
    folder = root / "blocks" / name
    folder.mkdir(parents=True)
    (folder / "block.oo.yaml").write_text(
        f"executor: {{name: nodejs, options: {{entry: {entry}}}}}\n"
        "inputs_def: [{handle: n, json_schema: {type: number}}]\n"
        "outputs_def: [{handle: out, json_schema: {type: number}}]\n")
    (folder / entry).write_text(code)
    return folder


def _start(block: Path, node_port: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        cli("run", str(block), "--inputs", '{"n": 20}', "--debug", "--debug-port",
            str(free_port()), "--node-debug-port", str(node_port), "--json"),
        env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if f"127.0.0.1:{node_port}" in line:
            assert "inspect" in line
            return proc
    raise AssertionError("no line naming the inspector's port:\n" + "".join(seen))


def _finish(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = proc.communicate(timeout=GUARD)
    assert proc.returncode == 0, err
    return dict(json.loads(out))


def test_a_javascript_block_pauses_at_a_breakpoint_and_resumes(tmp_path):
    (tmp_path / "package.oo.yaml").write_text("name: n\nversion: 0.1.0\n")
    block = _block(tmp_path, "js", "main.js", JS)
    port = free_port()
    proc = _start(block, port)
    try:
        cdp = CdpClient(port, proc)
        cdp.call("Runtime.enable")
        cdp.call("Debugger.enable")
        cdp.call("Debugger.setBreakpointByUrl", lineNumber=2,
                 urlRegex=re.escape(str(block / "main.js")))
        cdp.call("Runtime.runIfWaitingForDebugger")  # the worker waited for this
        paused = cdp.event("Debugger.paused")
        top = paused["callFrames"][0]
        assert top["location"]["lineNumber"] == 2
        assert paused["hitBreakpoints"]
        value = cdp.call("Debugger.evaluateOnCallFrame", callFrameId=top["callFrameId"],
                         expression="value")
        assert value["result"]["value"] == 40
        cdp.call("Debugger.resume")
        summary = _finish(proc)
        cdp.close()
    finally:
        proc.kill()
    assert summary["outputs"] == {"out": 41}


def test_a_typescript_breakpoint_hits_its_line_through_the_source_map(tmp_path):
    (tmp_path / "package.oo.yaml").write_text("name: n\nversion: 0.1.0\n")
    block = _block(tmp_path, "ts", "main.ts", TS)
    source = block / "main.ts"
    port = free_port()
    proc = _start(block, port)
    try:
        cdp = CdpClient(port, proc)
        cdp.call("Runtime.enable")
        cdp.call("Debugger.enable")
        # What VS Code does: stop before a script with a source map runs, set the
        # breakpoints its source map gives, go on.
        cdp.call("Debugger.setInstrumentationBreakpoint",
                 instrumentation="beforeScriptWithSourceMapExecution")
        cdp.call("Runtime.runIfWaitingForDebugger")
        while True:
            parsed = cdp.event("Debugger.scriptParsed")
            if parsed["url"].startswith(source.as_uri()):
                break
        source_map = inline_source_map(parsed["sourceMapURL"])
        assert [Path(s) for s in source_map["sources"]] == [source]
        rows = source_map_lines(source_map)
        wanted = 5  # 0-based: `const doubled ...` is line 6 of main.ts
        generated = min((g, c) for g, c, original in rows if original == wanted)
        while cdp.event("Debugger.paused")["reason"] != "instrumentation":
            cdp.call("Debugger.resume")
        cdp.call("Debugger.setBreakpoint", location={
            "scriptId": parsed["scriptId"], "lineNumber": generated[0],
            "columnNumber": generated[1]})
        cdp.call("Debugger.resume")
        while True:
            paused = cdp.event("Debugger.paused")
            if paused["reason"] != "instrumentation":
                break
            cdp.call("Debugger.resume")
        top = paused["callFrames"][0]
        location = top["location"]
        mapped = [original for g, c, original in rows
                  if g == location["lineNumber"] and c <= location["columnNumber"]]
        assert mapped and mapped[-1] == wanted
        value = cdp.call("Debugger.evaluateOnCallFrame", callFrameId=top["callFrameId"],
                         expression="value")
        assert value["result"]["value"] == 40
        cdp.call("Debugger.removeBreakpoint", breakpointId=next(iter(paused["hitBreakpoints"])))
        cdp.call("Debugger.resume")
        summary = _finish(proc)
        cdp.close()
    finally:
        proc.kill()
    assert summary["outputs"] == {"out": 41}


def test_a_node_worker_waiting_for_a_client_spends_no_cpu_and_ends_on_ctrl_c(tmp_path):
    import os
    import signal
    import time

    from helpers import descendants, is_alive

    (tmp_path / "package.oo.yaml").write_text("name: n\nversion: 0.1.0\n")
    block = _block(tmp_path, "js", "main.js", JS)
    port = free_port()
    proc = _start(block, port)
    try:
        CdpClient._target(port, proc)  # the worker's inspector is up (nobody attached)
        pids = [proc.pid, *descendants(proc.pid)]
        assert len(pids) >= 2
        before = cpu_ticks(pids)
        time.sleep(1.0)
        spent = cpu_ticks(pids) - before
        assert spent <= os.sysconf("SC_CLK_TCK") // 5, f"{spent} ticks in a second"
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=GUARD)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert not [pid for pid in pids if is_alive(pid)]
