"""MCP over streamable HTTP at ``serve``'s ``/mcp``, through the MCP SDK's own client."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import anyio
import httpx
import pytest
from mcp_client import (
    PACKAGE,
    REPO,
    SECRET_VALUE,
    SECRETS,
    call_and_cancel,
    everything_sent,
    http_session,
    pid_in,
    process_gone,
    run,
)

sys.path.insert(0, str(REPO / "tests" / "serve"))
from server import Server  # noqa: E402


class McpServer(Server):
    package = PACKAGE


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with McpServer(tmp_path_factory.mktemp("mcp-serve"),
                   extra=("--secrets", str(SECRETS))) as running:
        yield running


def runs_listed(server: Server) -> list[dict]:
    done = subprocess.run(
        [sys.executable, "-m", "oocana_local", "runs", "--db", str(server.db), "--json"],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True,
        text=True, timeout=120, check=True)
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_tools_are_listed_and_called_with_the_token_and_runs_lists_the_call(served):
    async def scenario():
        progress = []

        async def on_progress(value, total, message):
            progress.append(value)

        async with http_session(served.url, served.token) as (session, received):
            tools = (await session.list_tools()).tools
            echo = await session.call_tool("mcp-fixtures__echo", {"text": "hi", "times": 2})
            flow = await session.call_tool("shout", {"text": "yo"},
                                           progress_callback=on_progress)
            failed = await session.call_tool("mcp-fixtures__fail", {})
            return tools, echo, flow, failed, progress, received

    tools, echo, flow, failed, progress, received = run(scenario)
    assert {t.name for t in tools} >= {"mcp-fixtures__echo", "shout"}
    assert echo.structuredContent == {"text": "hihi"}
    assert flow.structuredContent == {"text": "yoyo!", "steps": 2}
    assert progress and progress[-1] == 100 and progress == sorted(set(progress))
    assert "step 1 of 2" in [log.data for log in received.logs]
    assert failed.isError
    assert failed.content[0].text == "ValueError: the fail block refuses code 42"
    listed = runs_listed(served)
    mine = [(r["protocol"], r["target"], r["status"], r["outputs"]) for r in listed]
    assert ("mcp", "mcp-fixtures::echo", "completed", {"text": "hihi"}) in mine
    assert ("mcp", "shout", "completed", {"text": "yoyo!", "steps": 2}) in mine
    assert any(r[:3] == ("mcp", "mcp-fixtures::fail", "failed") for r in mine)


def test_without_the_token_mcp_answers_401(served):
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "raw", "version": "0"}}}
    headers = {"Accept": "application/json, text/event-stream"}
    for auth in ({}, {"Authorization": "Bearer wrong-token"},
                 {"Authorization": served.token}):
        answer = httpx.post(f"{served.url}/mcp", json=initialize,
                            headers={**headers, **auth}, timeout=60)
        assert answer.status_code == 401, auth
        assert "Bearer" in answer.json()["message"]
        assert served.token not in answer.text
    accepted = httpx.post(f"{served.url}/mcp", json=initialize, timeout=60,
                          headers={**headers, "Authorization": f"Bearer {served.token}"})
    assert accepted.status_code == 200

    async def scenario():
        async with http_session(served.url, None):
            pass

    with pytest.raises(BaseException) as raised:  # noqa: B017 - the SDK wraps it in a group
        run(scenario)
    assert "401" in repr(raised.value) or "Unauthorized" in repr(raised.value)


def test_secrets_are_masked_over_http(served):
    async def scenario():
        async with http_session(served.url, served.token) as (session, received):
            result = await session.call_tool("mcp-fixtures__secret_echo",
                                             {"key": "Custom,api,key"})
            return result, received

    result, received = run(scenario)
    assert result.structuredContent == {"key": "******", "length": len(SECRET_VALUE)}
    assert SECRET_VALUE not in everything_sent(result, received)


def test_a_cancelled_http_call_stops_its_run_while_other_calls_go_on(served, tmp_path):
    pid_file = tmp_path / "pid"

    async def scenario():
        async with http_session(served.url, served.token) as (session, _), \
                http_session(served.url, served.token) as (other, _):
            meanwhile = {}

            async def call_meanwhile():
                while not pid_file.exists():
                    await anyio.sleep(0.05)
                meanwhile["echo"] = await other.call_tool("mcp-fixtures__echo",
                                                          {"text": "meanwhile"})

            def started():  # cancel once the other call was answered during the wait
                return pid_in(pid_file)() if "echo" in meanwhile else None

            async with anyio.create_task_group() as group:
                group.start_soon(call_meanwhile)
                pid = await call_and_cancel(session, "mcp-fixtures__wait",
                                            {"pid_file": str(pid_file)}, started,
                                            process_gone)
            return pid, meanwhile["echo"]

    pid, echo = run(scenario)
    assert process_gone(pid)
    assert echo.structuredContent == {"text": "meanwhile"}
    waits = [r for r in runs_listed(served) if r["target"] == "mcp-fixtures::wait"]
    assert waits and waits[0]["status"] == "stopped" and waits[0]["protocol"] == "mcp"
