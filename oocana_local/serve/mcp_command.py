"""``oocana-local mcp PATH``: the flows and blocks of a package as MCP tools, on stdio.

stdout carries MCP messages and nothing else: the process's file descriptor 1 is pointed
at stderr before anything runs (workers inherit it), and the protocol writes to a copy of
the original one.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from io import TextIOWrapper
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..cli_options import choose_executor, executor_args, max_workers_arg, search_paths_arg

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..engine import Engine
    from ..manifest.resolved import Flow, TaskBlock
    from ..redact import Redactor
    from .catalog import Entry
    from .mcp_server import Launch, Outcome

__all__ = ["add_mcp_parser", "mcp_command", "MISSING_MCP", "secrets_redactor"]

MISSING_MCP = ('oocana-local: MCP needs the "mcp" extra (the MCP Python SDK 1.27 or later, '
               'before 2): pip install "oocana-local[mcp]" (or pip install "mcp>=1.27,<2")')
MCP_RANGE = ((1, 27), (2, 0))


def add_mcp_parser(commands: Any) -> None:
    mcp = commands.add_parser(
        "mcp", help="serve the flows and blocks of a package as MCP tools on stdio",
        description="Speak the Model Context Protocol on stdin/stdout: every flow and "
                    "block of the package at PATH is a tool that desktop agents (Claude "
                    "Desktop, VS Code, Cherry Studio, ...) can call. Runs share one engine "
                    "and its warm workers. Logs go to stderr.")
    mcp.add_argument("path", nargs="?", default=".", metavar="PATH",
                     help="the package (or a folder of flows and blocks); default .")
    search_paths_arg(mcp)
    mcp.add_argument("--secrets", default=None, metavar="FILE",
                     help="secrets file for secret inputs (also $OOCANA_SECRETS_FILE); its "
                          "values are masked in everything sent to the client")
    max_workers_arg(mcp)
    executor_args(mcp)
    mcp.add_argument("--log-level", default="info",
                     choices=("debug", "info", "notice", "warning", "error"),
                     help="the lowest block log level sent until the client sets its own "
                          "(default info: everything a block prints)")


def mcp_available() -> bool:
    """The MCP SDK is installed, in a release this server is written for."""
    from importlib import metadata

    try:
        version = metadata.version("mcp")
    except metadata.PackageNotFoundError:
        return False
    parts = tuple(int(p) for p in re.findall(r"\d+", version)[:2])
    return MCP_RANGE[0] <= parts < MCP_RANGE[1]


def secrets_redactor(secrets_file: str | None) -> Redactor:
    """Every value of the secrets file (``--secrets``, else the default one)."""
    from ..redact import Redactor
    from ..secrets import SecretError, default_secrets_file, load_secrets

    path = secrets_file or default_secrets_file()
    values: list[str] = []
    if path:
        try:
            data = load_secrets(path)
        except SecretError:
            data = {}  # a call that needs a secret says what is wrong with the file
        for entry in data.values():
            for item in (entry.get("secrets") or ()) if isinstance(entry, dict) else ():
                if isinstance(item, dict) and isinstance(item.get("value"), str):
                    values.append(item["value"])
    return Redactor(values)


def engine_launch(engine: Engine) -> Launch:
    """Runs awaited on this loop, in the one engine; cancelling stops the run (and the
    worker running its block) before the cancellation goes on."""
    import asyncio
    import uuid

    from ..runtime.options import RunOptions
    from .mcp_server import Outcome

    async def launch(entry: Entry, target: Flow | TaskBlock, inputs: dict[str, Any],
                     on_message: Callable[[dict[str, Any]], None]) -> Outcome:
        import anyio

        session_id = str(uuid.uuid4())

        def listen(message: dict[str, Any]) -> None:
            if message.get("session_id") == session_id:
                on_message(message)

        task = asyncio.ensure_future(engine.arun(
            target, RunOptions(inputs=inputs, session_id=session_id), subscribers=[listen]))
        try:
            result = await asyncio.shield(task)
        except asyncio.CancelledError:
            task.cancel()
            with anyio.CancelScope(shield=True):
                await asyncio.wait([task])
            raise
        status = {"completed": "completed", "cancelled": "stopped"}.get(str(result.status),
                                                                         "failed")
        return Outcome(status, result.outputs if status == "completed" else None,
                       result.error)

    return launch


def mcp_command(args: argparse.Namespace) -> int:
    if not mcp_available():
        print(MISSING_MCP, file=sys.stderr)
        return 2
    path = Path(args.path)
    if not path.exists():
        print(f"oocana-local: {path} does not exist", file=sys.stderr)
        return 2
    if choose_executor(args) is None:
        return 2
    sys.stdout.flush()
    protocol_out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)  # whatever else writes to stdout (the engine, workers) goes to stderr
    import anyio

    try:
        anyio.run(_serve_stdio, args, protocol_out)
    except KeyboardInterrupt:
        return 130
    return 0


async def _serve_stdio(args: argparse.Namespace, protocol_out: Any) -> None:
    import anyio
    from mcp.server.stdio import stdio_server

    from ..engine import Engine
    from .catalog import Catalog
    from .mcp_server import ToolServer

    engine = Engine(search_paths=[*args.search_paths, args.path],
                    max_workers=args.max_workers, secrets_file=args.secrets,
                    executor=args.executor, ray_address=args.ray_address)
    catalog = Catalog([args.path])
    for name, manifest, served in catalog.duplicates:
        print(f"oocana-local mcp: {manifest} is not offered: {name!r} is {served}",
              file=sys.stderr)
    tools = ToolServer(catalog, lambda entry: engine.load(entry.manifest),
                       engine_launch(engine), secrets=secrets_redactor(args.secrets),
                       hidden=lambda: engine.bus.redactor, default_level=args.log_level)
    stdout = anyio.wrap_file(TextIOWrapper(protocol_out, encoding="utf-8",
                                           write_through=True))
    try:
        await engine.executor.start()  # warm a worker before the first call
        async with stdio_server(stdout=stdout) as (read, write):
            await tools.server.run(read, write, tools.server.create_initialization_options())
    finally:
        await engine.aclose()
