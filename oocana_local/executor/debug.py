"""Debug runs: blocks stop at breakpoints in a debugger attached from outside.

``DebugSettings`` (``debug_settings.py``) says where the debuggers listen and is checked
before the run; ``DebugExecutor`` is the engine's executor for such a run: the router of
one Python worker under debugpy (``worker/debug.py`` listens on the port, and waits for
a client before its first job) and Node.js workers with the V8 inspector
(``nodejs/debug.mjs``). Jobs run one at a time, timeouts are suspended (a block paused at
a breakpoint is not a hung one), and before the first job of each language the run says
on stderr where to attach.

A worker learns it is debugged from its environment (``PYTHON_PORT_ENV``,
``NODE_PORT_ENV``); nothing else in the pools knows about debugging.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from ..debug_settings import NODE_PORT_ENV, PYTHON_PORT_ENV, DebugSettings
from .base import Executor, Job, JobHandler, Outcome
from .pool import WorkerPool
from .router import ExecutorRouter

__all__ = ["DebugExecutor", "DebugSettings"]


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


class DebugExecutor(ExecutorRouter):
    """The router of a debug run, over one Python worker under debugpy and Node.js
    workers with the inspector. It runs jobs one at a time, without timeouts, saying
    once per language where its debugger listens. A job that waits on ``run_block`` lets
    the jobs it started run."""

    def __init__(self, settings: DebugSettings):
        python = WorkerPool(max_workers=1, min_workers=1,
                            env={PYTHON_PORT_ENV: str(settings.python_port)})
        super().__init__(python, env={NODE_PORT_ENV: str(settings.node_port)})
        self.settings = settings
        self._turn: asyncio.Lock | None = None
        """One job at a time."""
        self._announced: set[str] = set()

    async def run(self, job: Job, handler: JobHandler) -> Outcome:
        return await self._run(job, handler)  # no timeout: a paused block is not hung

    submit = Executor.submit  # each job waits for its turn: none goes straight to the pool

    async def _run(self, job: Job, handler: JobHandler) -> Outcome:
        job = _without_timeout(job)
        if job.spec.service is not None:  # a service's jobs live as long as it does
            return await super()._run(job, handler)
        if self._turn is None:
            self._turn = asyncio.Lock()
        await self._turn.acquire()
        lending = _LendingHandler(handler, self._turn)
        try:
            await self._announce(job)
            return await super()._run(job, lending)
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
            await self.python.start()  # listening once it is ready
        self._announced.add(key)
        self.settings.announce(self.settings.python_line() if language == "python"
                               else self.settings.node_line())
