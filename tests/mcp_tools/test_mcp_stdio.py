"""``oocana-local mcp PATH`` through the MCP SDK's own stdio client."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import mcp.types as types
import pytest
from mcp_client import (
    PACKAGE,
    REPO,
    SECRET_VALUE,
    SECRETS,
    call_and_cancel,
    everything_sent,
    pid_in,
    process_gone,
    run,
    stdio_session,
)

NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
PIXEL = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSu"
         "QmCC")


def run_json(target: str, inputs: dict) -> dict:
    """What ``oocana-local run --json`` prints for the same target."""
    done = subprocess.run(
        [sys.executable, "-m", "oocana_local", "run", str(PACKAGE / target), "--json",
         "--inputs", json.dumps(inputs), "--secrets", str(SECRETS)],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True,
        text=True, timeout=300)
    return json.loads(done.stdout)


def test_every_flow_and_block_is_a_tool_with_its_schemas():
    async def scenario():
        async with stdio_session() as (session, _):
            return (await session.list_tools()).tools

    tools = {tool.name: tool for tool in run(scenario)}
    assert set(tools) == {"mcp-fixtures__echo", "mcp-fixtures__fail", "mcp-fixtures__report",
                          "mcp-fixtures__picture", "mcp-fixtures__wait",
                          "mcp-fixtures__secret_echo", "shout", "broken"}
    assert all(NAME.match(name) for name in tools)
    echo = tools["mcp-fixtures__echo"]
    assert echo.title == "Echo"
    assert echo.description == ("Echo: Returns its text, repeated. "
                                "(the block mcp-fixtures::echo)")
    assert echo.inputSchema == {
        "type": "object",
        "properties": {
            "text": {"type": "string", "description": "What to say."},
            "times": {"type": "integer", "minimum": 1, "default": 1},
            "suffix": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        },
        "required": ["text"],
        "additionalProperties": False,
    }
    assert echo.outputSchema == {"type": "object", "properties": {"text": {"type": "string"}}}
    secret = tools["mcp-fixtures__secret_echo"].inputSchema["properties"]["key"]
    assert "secret" in secret["description"] and secret["type"] == "string"
    shout = tools["shout"]
    assert "required" not in shout.inputSchema  # its one input has a value
    assert shout.outputSchema == {"type": "object", "properties": {
        "text": {"type": "string"}, "steps": {"type": "integer"}}}
    assert tools["mcp-fixtures__picture"].inputSchema["properties"] == {}


def test_a_block_and_a_flow_give_what_run_json_gives():
    async def scenario():
        async with stdio_session() as (session, _):
            block = await session.call_tool("mcp-fixtures__echo",
                                            {"text": "ab", "times": 3, "suffix": None})
            flow = await session.call_tool("shout", {"text": "yo"})
            again = await session.call_tool("mcp-fixtures__echo", {"text": "z"})
            return block, flow, again

    block, flow, again = run(scenario)
    assert not block.isError and not flow.isError
    assert block.structuredContent == run_json("blocks/echo", {"text": "ab", "times": 3,
                                                               "suffix": None})["outputs"]
    assert block.structuredContent == {"text": "ababab"}
    assert flow.structuredContent == run_json("flows/shout", {"text": "yo"})["outputs"]
    assert flow.structuredContent == {"text": "yoyo!", "steps": 2}
    assert json.loads(block.content[0].text) == block.structuredContent
    assert again.structuredContent == {"text": "z"}  # defaults and nullable inputs filled


def test_progress_and_logs_arrive_as_notifications_at_the_clients_level():
    async def scenario():
        progress = []

        async def on_progress(value, total, message):
            progress.append((value, total))

        async with stdio_session() as (session, received):
            result = await session.call_tool("mcp-fixtures__report", {"steps": 4},
                                             progress_callback=on_progress)
            all_logs = list(received.logs)
            await session.set_logging_level("warning")
            received.logs.clear()
            await session.call_tool("mcp-fixtures__report", {"steps": 2})
            return result, progress, all_logs, list(received.logs)

    result, progress, all_logs, warnings = run(scenario)
    assert result.structuredContent == {"steps": 4}
    # Blocks report at most every 0.3 s (newest value wins): the first, then what the
    # throttle lets through, always growing, then 100 when the block ends.
    values = [value for value, _ in progress]
    assert values[0] == 25 and values[-1] == 100
    assert values == sorted(set(values))
    assert {total for _, total in progress} == {100}
    lines = [(log.level, log.data, log.logger) for log in all_logs]
    assert ("info", "step 1 of 4", "report") in lines
    assert ("info", "step 4 of 4", "report") in lines
    assert ("warning", "a warning on stderr", "report") in lines
    assert [(log.level, log.data) for log in warnings] == [("warning", "a warning on stderr")]


def test_an_image_preview_is_image_content_and_a_table_text():
    async def scenario():
        async with stdio_session() as (session, _):
            return await session.call_tool("mcp-fixtures__picture", {})

    result = run(scenario)
    assert result.structuredContent == {"shown": True}
    kinds = [item.type for item in result.content]
    assert kinds == ["text", "image", "text"]
    image = result.content[1]
    assert isinstance(image, types.ImageContent)
    assert image.mimeType == "image/png"
    assert base64.b64decode(image.data) == base64.b64decode(PIXEL)
    assert result.content[2].text.splitlines()[1:] == ["| a | b |", "|---|---|", "| 1 | 2 |"]


def test_a_failing_block_is_an_error_with_its_own_message_and_bad_arguments_name_the_input():
    async def scenario():
        async with stdio_session() as (session, _):
            failed = await session.call_tool("mcp-fixtures__fail", {"code": 7})
            flow_failed = await session.call_tool("broken", {})
            bad = await session.call_tool("mcp-fixtures__echo",
                                          {"times": 0, "colour": "red"})
            wrong_type = await session.call_tool("mcp-fixtures__echo", {"text": 5})
            unknown = await session.call_tool("no_such_tool", {})
            still_fine = await session.call_tool("mcp-fixtures__echo", {"text": "ok"})
            return failed, flow_failed, bad, wrong_type, unknown, still_fine

    failed, flow_failed, bad, wrong_type, unknown, still_fine = run(scenario)
    assert failed.isError
    assert failed.content[0].text == "ValueError: the fail block refuses code 7"
    assert flow_failed.isError
    assert flow_failed.content[0].text == "node refuse: ValueError: the fail block refuses code 9"
    assert bad.isError
    message = bad.content[0].text
    assert "unknown input 'colour'" in message
    assert "input 'text' is missing" in message
    assert "input 'times': 0 is less than the minimum of 1" in message
    assert wrong_type.isError
    assert wrong_type.content[0].text == "input 'text': 5 is not of type 'string'"
    assert unknown.isError and "no_such_tool" in unknown.content[0].text
    assert still_fine.structuredContent == {"text": "ok"}


def test_a_cancelled_call_stops_its_block_and_leaves_no_worker(tmp_path):
    pid_file = tmp_path / "pid"

    async def scenario():
        async with stdio_session() as (session, _):
            pid = await call_and_cancel(session, "mcp-fixtures__wait",
                                        {"pid_file": str(pid_file)}, pid_in(pid_file),
                                        process_gone)
            after = await session.call_tool("mcp-fixtures__echo", {"text": "after"})
            return pid, after

    pid, after = run(scenario)
    assert process_gone(pid)  # the worker that ran the block was stopped
    assert after.structuredContent == {"text": "after"}  # and the server goes on


def test_secrets_are_masked_in_everything_sent():
    async def scenario():
        async with stdio_session() as (session, received):
            result = await session.call_tool("mcp-fixtures__secret_echo",
                                             {"key": "Custom,api,key"})
            return result, received

    result, received = run(scenario)
    assert result.structuredContent == {"key": "******", "length": len(SECRET_VALUE)}
    sent = everything_sent(result, received)
    assert SECRET_VALUE not in sent
    assert "the key is ******" in [log.data for log in received.logs]
    assert "key=******" in sent  # the text preview


def test_stdout_carries_only_mcp_messages():
    """A raw session: every line the server writes on stdout is a JSON-RPC message, though
    the block prints and workers start."""
    requests = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "raw", "version": "0"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
         "params": {"name": "mcp-fixtures__report", "arguments": {"steps": 3}}},
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "oocana_local", "mcp", str(PACKAGE)], cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)}, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for request in requests:
            proc.stdin.write(json.dumps(request) + "\n")
        proc.stdin.flush()
        lines = []
        while True:
            line = proc.stdout.readline()
            assert line, f"the server ended early: {proc.stderr.read()}"
            lines.append(json.loads(line))
            if lines[-1].get("id") == 2:
                break
    finally:
        proc.stdin.close()
        proc.wait(timeout=120)
    assert all(message["jsonrpc"] == "2.0" for message in lines)
    assert lines[-1]["result"]["structuredContent"] == {"steps": 3}
    logs = [m["params"]["data"] for m in lines if m.get("method") == "notifications/message"]
    assert logs[:3] == ["step 1 of 3", "step 2 of 3", "step 3 of 3"]


def test_names_too_long_or_taken_get_a_stable_hash(tmp_path):
    package = tmp_path / "pkg"
    long_name = "a-package-name-" + "x" * 60
    (package / "blocks" / "b").mkdir(parents=True)
    (package / "package.oo.yaml").write_text(f"name: {long_name}\nversion: 0.1.0\n")
    (package / "blocks" / "b" / "block.oo.yaml").write_text(
        "executor: {name: python, options: {entry: main.py}}\n"
        "outputs_def: [{handle: ok, json_schema: {type: boolean}}]\n")
    (package / "blocks" / "b" / "main.py").write_text(
        "def main(params, context):\n    return {'ok': True}\n")
    flow = ("nodes: [{node_id: b, task: self::b}]\n"
            "outputs_def: [{handle: ok}]\n"
            "outputs_from: [{handle: ok, from_node: [{node_id: b, output_handle: ok}]}]\n")
    for name in ("x.y", "x_y"):  # both would be x_y
        (package / "flows" / name).mkdir(parents=True)
        (package / "flows" / name / "flow.oo.yaml").write_text(flow)

    async def scenario():
        async with stdio_session(package=package) as (session, _):
            names = {tool.name for tool in (await session.list_tools()).tools}
            hashed = next(n for n in names if n.startswith("a-package"))
            return names, hashed, await session.call_tool(hashed, {})

    def sha(text: str) -> str:
        return hashlib.sha1(text.encode()).hexdigest()[:8]

    names, hashed, result = run(scenario)
    plain = f"{long_name}__b"
    assert hashed == f"{plain[:55]}_{sha(long_name + '::b')}"
    assert names == {hashed, "x_y", f"x_y_{sha('x_y')}"}  # x.y sorts first and keeps x_y
    assert all(NAME.match(name) for name in names)
    assert result.structuredContent == {"ok": True}


def test_with_the_ray_executor_calls_run_on_actors_and_a_cancelled_one_stops_its_actor(
        tmp_path):
    pytest.importorskip("ray", reason="the Ray executor needs the [ray] extra")
    pid_file = tmp_path / "pid"
    commands: list[bytes] = []

    def started() -> int | None:
        pid = pid_in(pid_file)()
        if pid is not None:  # the block sleeps: its process is there to look at
            commands.append(Path(f"/proc/{pid}/cmdline").read_bytes())
        return pid

    async def scenario():
        async with stdio_session("--executor", "ray") as (session, _):
            block = await session.call_tool("mcp-fixtures__echo", {"text": "hi", "times": 2})
            flow = await session.call_tool("shout", {"text": "yo"})
            pid = await call_and_cancel(session, "mcp-fixtures__wait",
                                        {"pid_file": str(pid_file)}, started, process_gone)
            after = await session.call_tool("mcp-fixtures__echo", {"text": "after"})
            return block, flow, pid, after

    block, flow, pid, after = run(scenario)
    assert block.structuredContent == {"text": "hihi"}
    assert flow.structuredContent == {"steps": 2, "text": "yoyo!"}
    assert b"BlockActor" in commands[0]  # the block ran in a Ray actor
    assert process_gone(pid)  # cancelling the call stopped that actor
    assert after.structuredContent == {"text": "after"}  # and the server goes on
