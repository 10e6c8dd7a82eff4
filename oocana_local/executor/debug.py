"""Debug runs: blocks stop at breakpoints in a debugger attached from outside.

``DebugSettings`` says where the debuggers listen; ``make_debug_executor`` builds the
engine's executor for such a run: one Python worker under debugpy (``worker/debug.py``
listens on the port, and waits for a client before its first job) and Node.js workers
with the V8 inspector (``nodejs/debug.mjs``). ``DebugExecutor`` wraps it: jobs run one
at a time, timeouts are suspended (a block paused at a breakpoint is not a hung one),
and before the first job of each language the run says on stderr where to attach.

A worker learns it is debugged from its environment (``PYTHON_PORT_ENV``,
``NODE_PORT_ENV``); nothing else in the pools knows about debugging.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.util
import socket
import sys
from collections.abc import Callable
from typing import Any

from ..errors import UsageError
from .base import Executor, Job, JobHandler, Outcome

__all__ = ["DebugExecutor", "DebugSettings", "NODE_PORT_ENV", "PYTHON_PORT_ENV",
           "check_debug_settings", "make_debug_executor"]

PYTHON_PORT_ENV = "OOCANA_LOCAL_DEBUG_PORT"
NODE_PORT_ENV = "OOCANA_LOCAL_NODE_DEBUG_PORT"
HOST = "127.0.0.1"

DEBUGPY_MISSING = ("--debug needs debugpy in the Python that runs oocana-local: "
                   "pip install 'oocana-local[debug]' (or pip install debugpy)")


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@dataclasses.dataclass(frozen=True)
class DebugSettings:
    """Where the debuggers of a debug run listen (always on 127.0.0.1)."""

    python_port: int = 5678
    node_port: int = 9229
    announce: Callable[[str], None] = _stderr
    """Says where to attach (one line per language); stderr by default."""

    def python_line(self) -> str:
        return (f"oocana-local: Python blocks wait for a debugger on {HOST}:{self.python_port}"
                " - attach with VS Code's \"Python: Remote Attach\" (port "
                f"{self.python_port}) or any DAP client; Ctrl-C stops")

    def node_line(self) -> str:
        return (f"oocana-local: Node.js blocks wait for an inspector client on "
                f"{HOST}:{self.node_port} - open chrome://inspect in Chrome, or attach "
                f"VS Code (\"Attach\", port {self.node_port}); Ctrl-C stops")


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def check_debug_settings(settings: DebugSettings) -> None:
    """``UsageError`` before anything starts: debugpy missing, a bad or busy port."""
    if importlib.util.find_spec("debugpy") is None:
        raise UsageError(DEBUGPY_MISSING)
    for flag, port in (("--debug-port", settings.python_port),
                       ("--node-debug-port", settings.node_port)):
        if not 1 <= port <= 65535:
            raise UsageError(f"{flag} must be a port number from 1 to 65535, got {port}")
        if not _port_free(port):
            raise UsageError(f"{HOST}:{port} is already in use (another debug run or "
                             f"debugger?); choose a free port with {flag} N")
    if settings.python_port == settings.node_port:
        raise UsageError("--debug-port and --node-debug-port must differ")


def make_debug_executor(settings: DebugSettings) -> DebugExecutor:
    """One Python worker under debugpy and Node.js workers with the inspector, behind
    a ``DebugExecutor``."""
    from .pool import WorkerPool
    from .router import ExecutorRouter

    python = WorkerPool(max_workers=1, min_workers=1,
                        env={PYTHON_PORT_ENV: str(settings.python_port)})
    router = ExecutorRouter(python, env={NODE_PORT_ENV: str(settings.node_port)})
    return DebugExecutor(router, settings)


def _without_timeout(job: Job) -> Job:
    if not job.spec.timeout and job.spec.spawn_key is None:
        return job
    # One worker per language: a ``spawn: true`` node shares it too.
    spec = dataclasses.replace(job.spec, timeout=None, spawn_key=None)
    return dataclasses.replace(job, spec=spec)


class _LendingHandler:
    """The job's handler, but while its ``run_block`` waits, the job lends its turn
    (it runs nothing meanwhile; the jobs it started need the turn) and takes it back
    before it goes on."""

    def __init__(self, inner: JobHandler, turn: asyncio.Lock):
        self._inner = inner
        self._turn = turn
        self.holding = True

    async def run_block(self, request: Any, events: Any) -> None:
        self.holding = False
        self._turn.release()
        try:
            await self._inner.run_block(request, events)
        finally:
            await self._turn.acquire()
            self.holding = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class DebugExecutor(Executor):
    """Runs jobs one at a time, without timeouts, saying once per language where its
    debugger listens. A job that waits on ``run_block`` lets the jobs it started run."""

    def __init__(self, inner: Any, settings: DebugSettings):
        self.inner = inner
        self.settings = settings
        self._turn: asyncio.Lock | None = None
        """One job at a time."""
        self._announced: set[str] = set()

    async def start(self) -> None:
        await self.inner.start()

    async def run(self, job: Job, handler: JobHandler) -> Outcome:
        return await self._run(job, handler)  # no timeout: a paused block is not hung

    async def _run(self, job: Job, handler: JobHandler) -> Outcome:
        job = _without_timeout(job)
        if job.spec.service is not None:  # a service's jobs live as long as it does
            return await self.inner.run(job, handler)
        if self._turn is None:
            self._turn = asyncio.Lock()
        await self._turn.acquire()
        lending = _LendingHandler(handler, self._turn)
        try:
            await self._announce(job)
            return await self.inner.run(job, lending)
        finally:
            if lending.holding:
                self._turn.release()

    async def _announce(self, job: Job) -> None:
        """Once for Python (its worker outlives runs); for Node.js once per session, whose
        new worker (``dev``: every run) waits for a client again."""
        language = job.spec.executor
        key = language if language == "python" else f"{language}\0{job.session_id}"
        if key in self._announced or language not in ("python", "nodejs"):
            return
        if language == "python":
            await self.inner.python.start()  # listening once it is ready
        self._announced.add(key)
        self.settings.announce(self.settings.python_line() if language == "python"
                               else self.settings.node_line())

    async def free(self, keys: list[str]) -> None:
        await self.inner.free(keys)

    def holds(self, keys: list[str]) -> bool:
        return bool(self.inner.holds(keys))

    async def session_ended(self, session_id: str) -> None:
        await self.inner.session_ended(session_id)

    async def close(self) -> None:
        await self.inner.close()

    def __getattr__(self, name: str) -> Any:  # what else callers ask of the router
        return getattr(self.inner, name)
