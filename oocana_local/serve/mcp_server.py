"""The MCP server both transports share: list the catalog as tools, run a call, relay
its progress and logs, shape its result.

How a call runs is given from outside (a ``Launch``): ``oocana-local mcp`` awaits the
engine directly, ``serve`` goes through its run manager so that the run is stored. Either
way the launch passes every bus message of the run to ``on_message`` and returns an
``Outcome``; cancelling the awaiting task stops the run.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import jsonschema
import mcp.types as types
from mcp.server.lowlevel import Server

from ..errors import ManifestError, UsageError
from ..mainframe.jsonable import dumps, to_jsonable
from ..manifest.resolved import Flow, TaskBlock
from ..redact import Redactor
from ..wire import names
from .catalog import Catalog, Entry
from .mcp_content import preview_content
from .mcp_tools import ToolSpec, argument_errors, tool_specs
from .runs import BadRequest, check_inputs

__all__ = ["Outcome", "Launch", "ToolServer"]

SERVER_NAME = "oocana-local"
LEVELS = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
_NODE_PREFIX = re.compile(r"^\[node id: ([^\]]+)\]")


@dataclass
class Outcome:
    status: str
    """``completed``, ``failed`` or ``stopped``."""
    outputs: dict[str, Any] | None
    error: str | None


Launch = Callable[[Entry, Flow | TaskBlock, dict[str, Any], Callable[[dict[str, Any]], None]],
                  Awaitable[Outcome]]


def block_message(error: str | None, *, flow: bool = False) -> str:
    """The block's own message: the last line of its traceback, with the failed node of a
    flow in front (``[node id: n] failed`` heads the engine's error)."""
    text = (error or "failed").strip()
    lines = [line for line in text.splitlines() if line.strip()]
    last = lines[-1].strip() if lines else "failed"
    node = _NODE_PREFIX.match(text)
    if flow and node and last != lines[0].strip():
        return f"node {node.group(1)}: {last}"
    return last


class ToolFailed(Exception):
    """A call that ends in an error result; its message is the result's text."""


class _Relay:
    """The notifications of one call: progress (with the caller's token) and logs (at or
    above the session's level), sent in order from one task; previews kept for the result."""

    def __init__(self, server: ToolServer, session: Any, request_id: Any,
                 progress_token: str | int | None, mask: Callable[[Any], Any]):
        self.server = server
        self.session = session
        self.request_id = request_id
        self.token = progress_token
        self.mask = mask
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.previews: list[dict[str, Any]] = []
        self.nodes: list[str] = []
        self.node_progress: dict[str, float] = {}
        self.sent_progress = -1.0

    def on_message(self, message: dict[str, Any]) -> None:
        self.queue.put_nowait(message)

    async def pump(self) -> None:
        failed = False
        while (message := await self.queue.get()) is not None:
            try:
                await self._handle(message)
            except Exception as exc:  # a client gone away must not fail the run
                if not failed:
                    print(f"oocana-local mcp: cannot notify the client: {exc}",
                          file=sys.stderr)
                failed = True

    async def _handle(self, message: dict[str, Any]) -> None:
        type_ = message.get("type")
        stacks = message.get("stacks") or ()
        node = stacks[-1]["node_id"] if stacks else None
        if type_ == names.FLOW_STARTED:
            self.nodes = list(message.get("nodes") or ())
        elif type_ == names.BLOCK_PREVIEW and len(stacks) >= 1 and "node_id" not in message:
            self.previews.append(self.mask(message.get("payload")))
        elif type_ == names.BLOCK_PROGRESS and len(stacks) == 1 and node:
            self.node_progress[node] = float(message.get("progress") or 0)
            await self._progress(node)
        elif type_ == names.BLOCK_FINISHED and len(stacks) == 1 and node:
            self.node_progress[node] = 100.0
            await self._progress(node)
        elif type_ in (names.BLOCK_LOG, names.BLOCK_WARNING, names.BLOCK_ERROR):
            level, text = _log_line(message)
            await self._log(level, text, node)

    async def _progress(self, node: str) -> None:
        if self.token is None:
            return
        nodes = self.nodes or [node]
        total = sum(min(100.0, self.node_progress.get(n, 0.0)) for n in nodes) / len(nodes)
        if total <= self.sent_progress:  # progress only ever grows
            return
        self.sent_progress = total
        label = f"{node}: {self.node_progress[node]:g}%" if len(nodes) > 1 else None
        await self.session.send_progress_notification(
            self.token, total, 100.0, message=label, related_request_id=self.request_id)

    async def _log(self, level: str, text: str, node: str | None) -> None:
        wanted = self.server.log_level(self.session)
        if LEVELS.index(level) < LEVELS.index(wanted):
            return
        await self.session.send_log_message(level, self.mask(text), logger=node,
                                            related_request_id=self.request_id)


def _log_line(message: dict[str, Any]) -> tuple[str, str]:
    type_ = message.get("type")
    if type_ == names.BLOCK_WARNING:
        return "warning", str(message.get("warning", ""))
    if type_ == names.BLOCK_ERROR:
        return "error", str(message.get("error", ""))
    stdio = message.get("stdio")
    return ("warning" if stdio == "stderr" else "info"), str(message.get("log", ""))


class ToolServer:
    """The MCP ``Server`` of a catalog. ``secrets``: values masked in all it sends (the
    values of the secrets file); ``hidden`` adds the ones the engine's bus learnt."""

    def __init__(self, catalog: Catalog, load: Callable[[Entry], Flow | TaskBlock],
                 launch: Launch, *, secrets: Redactor | None = None,
                 hidden: Callable[[], Redactor] | None = None, default_level: str = "info"):
        self.catalog = catalog
        self.load = load
        self.launch = launch
        self.secrets = secrets or Redactor()
        self.hidden = hidden
        self.default_level = default_level
        self._levels: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
        self._specs: dict[str, ToolSpec] = {}
        self.server: Server[Any, Any] = Server(SERVER_NAME)
        self._register()

    # -- masking ------------------------------------------------------------------------

    def mask(self, value: Any) -> Any:
        value = self.secrets.value(value)
        hidden = self.hidden() if self.hidden is not None else None
        return hidden.value(value) if hidden else value

    def log_level(self, session: Any) -> str:
        return self._levels.get(session, self.default_level)

    # -- tools --------------------------------------------------------------------------

    def specs(self) -> list[ToolSpec]:
        """Every flow and block that loads, rescanned so that new files appear."""
        self.catalog.scan()
        loaded = []
        for entry in [*self.catalog.flows(), *self.catalog.blocks()]:
            try:
                loaded.append((entry, self.load(entry)))
            except ManifestError as exc:
                print(f"oocana-local mcp: {entry.name} is not offered: its manifests are "
                      f"invalid:\n{exc}", file=sys.stderr)
        specs = tool_specs(loaded)
        self._specs = {s.name: s for s in specs}
        return specs

    def tools(self) -> list[types.Tool]:
        return [types.Tool(name=s.name, title=s.title, description=s.description,
                           inputSchema=s.input_schema, outputSchema=s.output_schema)
                for s in self.specs()]

    def _register(self) -> None:
        server = self.server

        @server.list_tools()
        async def list_tools() -> list[types.Tool]:
            return self.tools()

        @server.call_tool(validate_input=False)
        async def call_tool(name: str, arguments: dict[str, Any]
                            ) -> tuple[list[types.ContentBlock], dict[str, Any]]:
            # Content and structured content as a pair, an error as an exception: the
            # shapes every 1.x SDK release turns into the same CallToolResult.
            result = await self.call(name, arguments or {})
            if result.isError:
                raise ToolFailed("\n".join(item.text for item in result.content
                                           if isinstance(item, types.TextContent)))
            return list(result.content), result.structuredContent or {}

        @server.set_logging_level()
        async def set_level(level: str) -> None:
            self._levels[server.request_context.session] = level

    # -- calls --------------------------------------------------------------------------

    async def call(self, name: str, arguments: dict[str, Any]) -> types.CallToolResult:
        spec = self._specs.get(name)
        if spec is None:
            self.specs()
            spec = self._specs.get(name)
        if spec is None:
            return _error(f"unknown tool {name!r}; list the tools to see what is offered")
        if not isinstance(arguments, dict):
            return _error(f"the arguments of {name} must be an object")
        problems = argument_errors(spec, arguments)
        if problems:
            return _error(self.mask("\n".join(problems)))
        try:
            target = self.load(spec.entry)
            check_inputs(target, arguments, None)
        except ManifestError as exc:
            return _error(f"{spec.entry.name} has invalid manifests:\n{exc}")
        except (BadRequest, UsageError) as exc:
            return _error(self.mask(str(exc)))
        context = self.server.request_context
        token = context.meta.progressToken if context.meta is not None else None
        relay = _Relay(self, context.session, context.request_id, token, self.mask)
        pump = asyncio.get_running_loop().create_task(relay.pump())
        try:
            outcome = await self.launch(spec.entry, target, arguments, relay.on_message)
        except BaseException:  # cancelled: the launch stopped the run, nobody listens
            pump.cancel()
            raise
        relay.queue.put_nowait(None)
        await pump  # every notification goes before the result
        return self._result(spec, outcome, relay.previews)

    def _result(self, spec: ToolSpec, outcome: Outcome,
                previews: list[Any]) -> types.CallToolResult:
        if outcome.status == "stopped":
            return _error(f"{spec.name} was stopped: {outcome.error or 'cancelled'}")
        if outcome.status != "completed":
            return _error(self.mask(block_message(outcome.error,
                                                  flow=spec.entry.kind == "flow")))
        outputs = self.mask(to_jsonable(outcome.outputs or {}))
        if spec.output_schema is not None:
            try:
                jsonschema.validate(outputs, spec.output_schema)
            except jsonschema.ValidationError as exc:
                where = "/".join(map(str, exc.absolute_path))
                return _error(f"{spec.name} produced output {where or '(all)'} that does "
                              f"not fit its declared json_schema: {exc.message}")
        content: list[types.ContentBlock] = [
            types.TextContent(type="text", text=json.dumps(json.loads(dumps(outputs)),
                                                           ensure_ascii=False))]
        for n, payload in enumerate(previews, 1):
            content.extend(preview_content(payload, f"preview://{spec.name}/{n}"))
        return types.CallToolResult(content=content, structuredContent=outputs,
                                    isError=False)


def _error(text: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)],
                                isError=True)
