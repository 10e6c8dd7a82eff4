"""MCP on ``serve``: streamable HTTP at ``/mcp``, behind the server's token.

Calls go through the run manager like every other protocol's tasks (protocol ``mcp``):
they wait for a slot, are stored, and ``oocana-local runs`` lists them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
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
    """The ASGI app at ``/mcp``: 401 without the token, else the MCP session manager.

    The MCP SDK is imported (in a thread) and its session manager started at the first
    request with the token, so a server nobody asks for MCP starts as fast as before."""

    def __init__(self, token: TokenCheck, build: Callable[[], Any] | None,
                 missing: str | None = None):
        self.token = token
        self.build = build
        self.missing = missing
        self._manager: Any = None
        self._lock: asyncio.Lock | None = None
        self._stop: asyncio.Event | None = None
        self._holder: asyncio.Task[None] | None = None

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The server's lifetime: the session manager, if it was started, stops at its end."""
        try:
            yield
        finally:
            if self._holder is not None and self._stop is not None:
                self._stop.set()
                with contextlib.suppress(Exception):
                    await self._holder

    async def _started(self) -> Any:
        if self._manager is not None:
            return self._manager
        self._lock = self._lock or asyncio.Lock()
        async with self._lock:
            if self._manager is None:
                assert self.build is not None
                manager = await asyncio.to_thread(self.build)
                ready, self._stop = asyncio.Event(), asyncio.Event()
                stop = self._stop

                async def hold() -> None:  # its task group lives in this one task
                    async with manager.run():
                        ready.set()
                        await stop.wait()

                self._holder = asyncio.get_running_loop().create_task(hold())
                waiting = asyncio.ensure_future(ready.wait())
                await asyncio.wait([waiting, self._holder],
                                   return_when=asyncio.FIRST_COMPLETED)
                if not ready.is_set():
                    waiting.cancel()
                    self._holder.result()  # raises what stopped it
                self._manager = manager
        return self._manager

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or ())
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        if not self.token.bearer(authorization):
            await _answer(send, 401, {"error": "unauthorized",
                                      "message": "send the server's token: "
                                                 "Authorization: Bearer <token>"},
                          [(b"www-authenticate", b'Bearer realm="oocana-local"')])
            return
        if self.build is None:
            await _answer(send, 501, {"error": "not available", "message": self.missing})
            return
        manager = await self._started()
        await manager.handle_request(scope, receive, send)


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
    secrets = secrets_redactor(secrets_file)

    def build() -> Any:
        from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

        logging.getLogger("mcp.server.streamable_http").addFilter(_closed_stream_noise)

        from .mcp_server import ToolServer

        engine = runs.engine
        tools = ToolServer(runs.catalog, lambda entry: engine.load(entry.manifest),
                           manager_launch(runs), secrets=secrets,
                           hidden=lambda: engine.bus.redactor)
        return StreamableHTTPSessionManager(app=tools.server)

    return McpEndpoint(token, build)


def _closed_stream_noise(record: logging.LogRecord) -> bool:
    """Drop the SDK's traceback for an event stream that closed because its client ended
    the session: the normal end of every session, not an error."""
    error = record.exc_info[1] if record.exc_info else None
    return not (error is not None and type(error).__name__ == "ClosedResourceError")
