"""One job on one Ray actor, seen from the engine: start it, hand every message to the
job's handler in order, answer the block's requests, forward ``run_block`` events.

Split from ``ray_executor.py`` (which owns the actors) to keep each module small; the
executor passes itself in for the refs it keeps and to drop an actor that died.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from ..states import OutcomeStatus
from ..wire import names
from ..wire.values import is_var_ref, var_key
from .base import Job, JobHandler, Outcome
from .requests import answer_request

if TYPE_CHECKING:
    from .ray_executor import RayExecutor, _Actor

__all__ = ["JobRun", "cause", "refs_in"]


def refs_in(values: Any) -> list[str]:
    return [var_key(v) for v in values if is_var_ref(v)]


def cause(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__


class JobRun:
    """One job on one actor: start it, drain its messages, answer its requests."""

    def __init__(self, executor: RayExecutor, actor: _Actor, job: Job, handler: JobHandler):
        self.executor = executor
        self.actor = actor
        self.job = job
        self.handler = handler
        self.tasks: set[asyncio.Task[Any]] = set()

    async def run(self) -> Outcome:
        executor, actor = self.executor, self.actor
        refs = {k: executor.refs[k] for k in refs_in(self.job.inputs.values())
                if k in executor.refs and k not in actor.keys}
        try:
            pending = actor.handle.run.remote(self.job.wire(), refs, executor.poll_seconds)
            actor.keys.update(refs)
            while True:
                try:
                    messages, made = await pending
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    executor.drop(actor)
                    return Outcome(OutcomeStatus.CRASHED, error=(
                        f"the Ray actor running node {self.job.node_id} died: {cause(exc)}"))
                executor.refs.update(made)
                actor.keys.update(made)
                actor.owned.update(made)
                for message in messages:
                    outcome = self._on_message(message)
                    if outcome is not None:
                        return outcome
                pending = actor.handle.poll.remote(executor.poll_seconds)
        finally:
            for task in self.tasks:
                task.cancel()

    def _on_message(self, message: dict[str, Any]) -> Outcome | None:
        if message.get("job_id") != self.job.job_id:
            return None  # late output of an earlier job's threads: nobody listens
        kind = message.get("type")
        if kind == names.BLOCK_FINISHED:
            error = message.get("error")
            if error is not None:
                return Outcome(OutcomeStatus.FAILED, error=error)
            return Outcome(OutcomeStatus.DONE, result=message.get("result"))
        if kind == names.BLOCK_REQUEST:
            task = asyncio.get_running_loop().create_task(self._answer(message))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
            return None
        self.handler.on_event(message)
        return None

    async def _answer(self, message: dict[str, Any]) -> None:
        forwarder = EventForwarder(self.executor, self.actor, message.get("request_id"))
        reply = await answer_request(self.handler, message, forwarder.emit)
        await forwarder.drained()
        await self.actor.handle.deliver.remote(reply)


class EventForwarder:
    """Events of a job started by ``run_block``, to the calling actor in order, with the
    refs of values it does not hold yet."""

    def __init__(self, executor: RayExecutor, actor: _Actor, request_id: Any):
        self.executor = executor
        self.actor = actor
        self.request_id = request_id
        self.tail: asyncio.Task[None] | None = None

    def emit(self, event: dict[str, Any]) -> None:
        self.tail = asyncio.get_running_loop().create_task(self._send(self.tail, event))

    async def _send(self, before: asyncio.Task[None] | None, event: dict[str, Any]) -> None:
        if before is not None:
            with contextlib.suppress(Exception):
                await before
        values: list[Any] = [event.get("output")]
        values.extend((event.get("outputs") or {}).values())
        values.extend((event.get("result") or {}).values())
        refs = {k: self.executor.refs[k] for k in refs_in(values)
                if k in self.executor.refs and k not in self.actor.keys}
        self.actor.keys.update(refs)
        message = {"type": names.RUN_BLOCK_EVENT, "request_id": self.request_id,
                   "event": event}
        await self.actor.handle.deliver.remote(message, refs)

    async def drained(self) -> None:
        if self.tail is not None:
            with contextlib.suppress(Exception):
                await self.tail
