"""``CachingExecutor``: the engine's executor behind a ``NodeCache`` (``cache.py``).

A Python task job whose key has an entry is not run: the entry's streamed outputs are
replayed through the job's own handler and the outcome is ``cached``. Any other job runs
on the wrapped executor (its ``_run``: the timeout is this executor's ``run``'s); a
``done`` one is stored.
"""

from __future__ import annotations

from typing import Any

from ..executor.base import Executor, Job, JobHandler, Outcome
from ..states import OutcomeStatus
from ..wire import names
from ..wire.requests import EventSink, RunBlockRequest
from .cache import Memo, NodeCache

__all__ = ["CachingExecutor"]


class CachingExecutor(Executor):
    """The engine's executor behind a ``NodeCache``: Python task jobs whose key has an
    entry are replayed (outcome ``cached``); the others run and, when done, are stored."""

    def __init__(self, inner: Executor, cache: NodeCache):
        self.inner = inner
        self.cache = cache

    async def start(self) -> None:
        await self.inner.start()

    async def _run(self, job: Job, handler: JobHandler) -> Outcome:
        # A service keeps state between calls: its result is no function of its inputs.
        # Nor does a job that shares a process with another (inject): state matters there.
        spec = job.spec
        memo = self.cache.open(job) if spec.executor == "python" and spec.service is None \
            and spec.inject is None and not spec.keeps_state else None
        if memo is None:
            return await self.inner._run(job, handler)
        memo.executor = self.inner
        entry, problem = self.cache.lookup(memo, self.inner)
        if entry is None:
            self.cache.misses += 1
            outcome = await self.inner._run(job, _Recorder(handler, memo, problem))
            if outcome.status is OutcomeStatus.DONE:
                memo.save(outcome.result)
            return outcome
        self.cache.hits += 1
        handler.on_start(True)
        for message in entry["events"]:
            handler.on_event(dict(message))
        return Outcome(OutcomeStatus.CACHED, result=entry.get("result"),
                       cached_duration=entry.get("duration"))

    async def free(self, keys: list[str]) -> None:
        await self.inner.free(keys)

    def prestart(self, job: Job) -> None:
        self.inner.prestart(job)

    async def session_ended(self, session_id: str) -> None:
        await self.inner.session_ended(session_id)

    def holds(self, keys: list[str]) -> bool:
        return self.inner.holds(keys)

    async def close(self) -> None:
        """Nothing of its own: the engine closes the executor it wraps."""


class _Recorder:
    """A job handler that keeps the streamed outputs, then does what the real one does."""

    __slots__ = ("handler", "memo", "events", "problem")

    def __init__(self, handler: JobHandler, memo: Memo, problem: str | None):
        self.handler = handler
        self.memo = memo
        self.events = memo.events
        self.problem = problem

    def on_start(self, cached: bool) -> None:
        self.handler.on_start(cached)
        if self.problem:  # why an entry was thrown away
            self.handler.on_event({"type": names.BLOCK_WARNING, "warning": self.problem})

    def on_event(self, message: dict[str, Any]) -> None:
        type_ = message.get("type")
        if type_ == names.BLOCK_OUTPUT:
            recorded = {"type": type_, "handle": message["handle"], "output": message["output"]}
            if message.get("options") is not None:
                recorded["options"] = message["options"]
            self.events.append(recorded)
        elif type_ == names.BLOCK_OUTPUTS:
            self.events.append({"type": type_, "outputs": message["outputs"]})
        elif type_ == names.BLOCK_SECRETS:  # the block received a secret: never on disk
            self.memo.disk_ok = False
        self.handler.on_event(message)

    async def run_block(self, request: RunBlockRequest, events: EventSink) -> None:
        await self.handler.run_block(request, events)

    async def query_block(self, block: str) -> dict[str, Any]:
        return await self.handler.query_block(block)

    async def query_downstream(self, handles: list[str] | None) -> dict[str, Any]:
        return await self.handler.query_downstream(handles)
