"""Drive ``oocana-local mcp`` (stdio) and ``serve``'s ``/mcp`` with the MCP SDK's own client."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
import mcp.types as types
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

HERE = Path(__file__).resolve().parent
PACKAGE = HERE / "pkg"
SECRETS = PACKAGE / "secrets.json"
SECRET_VALUE = "sk-mcp-secret-value"
REPO = HERE.parent.parent


@dataclass
class Received:
    """What the server sent besides results."""

    logs: list[Any] = field(default_factory=list)


@contextlib.asynccontextmanager
async def stdio_session(*extra: str, package: Path = PACKAGE
                        ) -> AsyncIterator[tuple[ClientSession, Received]]:
    received = Received()

    async def on_log(params: Any) -> None:
        received.logs.append(params)

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "oocana_local", "mcp", str(package), "--secrets", str(SECRETS), *extra],
        env=env, cwd=str(REPO))
    with open(os.devnull, "w") as devnull:
        async with stdio_client(params, errlog=devnull) as (read, write):
            async with ClientSession(read, write, logging_callback=on_log) as session:
                await session.initialize()
                yield session, received


@contextlib.asynccontextmanager
async def http_session(url: str, token: str | None
                       ) -> AsyncIterator[tuple[ClientSession, Received]]:
    received = Received()

    async def on_log(params: Any) -> None:
        received.logs.append(params)

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(120)) as client:
        async with streamable_http_client(f"{url}/mcp", http_client=client) as streams:
            async with ClientSession(streams[0], streams[1],
                                     logging_callback=on_log) as session:
                await session.initialize()
                yield session, received


def run(scenario: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(scenario())  # type: ignore[arg-type]


def everything_sent(result: Any, received: Received) -> str:
    """The call's result and every notification, as one text to search."""
    return result.model_dump_json() + "".join(p.model_dump_json() for p in received.logs)


async def call_and_cancel(session: ClientSession, tool: str, arguments: dict[str, Any],
                          started: Callable[[], Any], stopped: Callable[[Any], bool]
                          ) -> Any:
    """Call ``tool``; once ``started()`` gives something, cancel the request as a client
    does (``notifications/cancelled``) and wait until ``stopped(that)``. Returns it."""
    request_id = session._request_id  # the id the next request gets
    async with anyio.create_task_group() as group:
        async def call() -> None:
            try:
                await session.call_tool(tool, arguments)
            except Exception:  # some SDK releases answer a cancelled request with an error
                pass

        group.start_soon(call)
        while not (seen := started()):
            await anyio.sleep(0.05)
        await session.send_notification(types.ClientNotification(types.CancelledNotification(
            method="notifications/cancelled", params=types.CancelledNotificationParams(
                requestId=request_id, reason="the user changed their mind"))))
        while not stopped(seen):
            await anyio.sleep(0.05)
        group.cancel_scope.cancel()  # a cancelled request may get no answer at all
    return seen


def process_gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return "\nState:\tZ" in status.read()
    except FileNotFoundError:
        return True


def pid_in(path: Path) -> Callable[[], int | None]:
    return lambda: int(path.read_text()) if path.exists() else None
