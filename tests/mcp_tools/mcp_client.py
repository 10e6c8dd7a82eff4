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

import httpx
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
    stderr: list[str] = field(default_factory=list)


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
            read, write = streams[0], streams[1]
            async with ClientSession(read, write, logging_callback=on_log) as session:
                await session.initialize()
                yield session, received


def run(scenario: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(scenario())  # type: ignore[arg-type]


def everything_sent(result: Any, received: Received) -> str:
    """The call's result and every notification, as one text to search."""
    return result.model_dump_json() + "".join(p.model_dump_json() for p in received.logs)
