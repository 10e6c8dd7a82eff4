"""MCP on ``serve``: streamable HTTP at ``/mcp``, behind the server's token.

Calls go through the run manager like every other protocol's tasks (protocol ``mcp``):
they wait for a slot, are stored, and ``oocana-local runs`` lists them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from .http import Receive, Scope, Send, TokenCheck

if TYPE_CHECKING:
    from ..manifest.resolved import Flow, TaskBlock
    from .catalog import Entry
    from .mcp_server import Launch, Outcome
    from .runs import RunManager

__all__ = ["McpEndpoint", "mcp_endpoint", "PATH"]

PATH = "/mcp"


def manager_launch(runs: RunManager) -> Launch:
    from .mcp_server import Outcome

    async def launch(entry: Entry, target: Flow | TaskBlock, inputs: dict[str, Any],
                     on_message: Callable[[dict[str, Any]], None]) -> Outcome:
        run = runs.submit(entry, target, protocol="mcp", inputs=inputs)
        queue = run.listen()
        try:
            while (message := await queue.get()) is not None:
                on_message(message)
        except asyncio.CancelledError:
            runs.stop(run.record.id)
            raise
        record = run.record
        return Outcome(record.status, record.outputs, record.error)

    return launch


class McpEndpoint:
    """The ASGI app at ``/mcp``: 401 without the token, else the MCP session manager."""

    def __init__(self, token: TokenCheck, manager: Any | None, missing: str | None = None):
        self.token = token
        self.manager = manager
        self.missing = missing

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        if self.manager is None:
            yield
            return
        async with self.manager.run():
            yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or ())
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        if not self.token.bearer(authorization):
            await _answer(send, 401, {"error": "unauthorized",
                                      "message": "send the server's token: "
                                                 "Authorization: Bearer <token>"},
                          [(b"www-authenticate", b'Bearer realm="oocana-local"')])
            return
        if self.manager is None:
            await _answer(send, 501, {"error": "not available", "message": self.missing})
            return
        await self.manager.handle_request(scope, receive, send)


async def _answer(send: Send, status: int, body: dict[str, Any],
                  headers: list[tuple[bytes, bytes]] | None = None) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(data)).encode()), *(headers or ())]})
    await send({"type": "http.response.body", "body": data})


def mcp_endpoint(runs: RunManager, token: TokenCheck, secrets_file: str | None
                 ) -> McpEndpoint:
    """The endpoint for the served catalog; without the MCP SDK, one that says so."""
    from .mcp_command import MISSING_MCP, mcp_available, secrets_redactor

    if not mcp_available():
        return McpEndpoint(token, None, MISSING_MCP.removeprefix("oocana-local: "))
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

    from .mcp_server import ToolServer

    engine = runs.engine
    tools = ToolServer(runs.catalog, lambda entry: engine.load(entry.manifest),
                       manager_launch(runs), secrets=secrets_redactor(secrets_file),
                       hidden=lambda: engine.bus.redactor)
    return McpEndpoint(token, StreamableHTTPSessionManager(app=tools.server))
