"""What the scheduler asks of an executor: run a job, report what it says, end it.

``Executor.run(job, handler)`` runs one job (``wire/job.py``) to its end and returns one
``Outcome`` of a closed set (``states.OutcomeStatus``): done, failed, timed out, crashed,
cancelled, or cached. The job's node timeout is part of ``run``: a job that runs longer is
cancelled and its outcome is ``timeout``.

While the job runs, the executor calls the ``JobHandler``:

* ``on_start(cached)`` once, when the job is accepted (before any event);
* ``on_event(message)`` for every message of the job but its end and its requests;
* ``run_block`` / ``query_block`` / ``query_downstream`` for what the block asks of the
  engine, parsed into ``wire/requests.py`` types.

Implementations: ``WorkerPool`` (warm Python worker processes), ``NodePool`` (Node.js
workers, and a service's worker), ``RayExecutor`` (warm Ray actors) - all three on one job
lifecycle (``lifecycle.py``) - ``CachingExecutor`` (``runtime/cache.py``: replays a
previous result) and ``InProcessExecutor`` (tests).

``submit(job, handler, done)`` is the same without a task to await: ``done(outcome)`` is
called once, from the event loop, when the job ended, and the function it returns cancels
the job (``done`` then gets a ``cancelled`` outcome). The scheduler starts a flow's task
nodes so. By default it runs ``run`` in a task; the ``WorkerPool`` (through the router)
does it without one, which a trivial job's cost can tell.

Every executor implements ``_run`` (``run`` without the timeout) and inherits ``run``.
One that hands jobs on to others (``ExecutorRouter``, ``CachingExecutor``) implements its
``_run`` with theirs: the timeout is applied once, by the outermost ``run``.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ..states import OutcomeStatus
from ..wire.job import Job
from ..wire.requests import EventSink, RunBlockRequest

__all__ = ["Job", "Outcome", "OutcomeStatus", "JobHandler", "Executor", "TIMEOUT_ERROR",
           "unsupported", "injection_gone"]

TIMEOUT_ERROR = "Timeout"


@dataclass(slots=True)
class Outcome:
    status: OutcomeStatus
    result: dict[str, Any] | None = None
    error: str | None = None
    """The block's traceback (failed), what killed the worker (crashed), ..."""
    cached_duration: float | None = None
    """For ``cached``: how long the run that was replayed took, in seconds."""

    @property
    def ok(self) -> bool:
        return self.status.ok


class JobHandler(Protocol):
    """The engine's side of one running job."""

    def on_start(self, cached: bool) -> None:
        """The job was accepted (``cached``: it is replayed, not run)."""

    def on_event(self, message: dict[str, Any]) -> None:
        """A message of the job (``BlockOutput``, ``BlockLog``, ...; ``wire/names.py``)."""

    async def run_block(self, request: RunBlockRequest, events: EventSink) -> None:
        """Run the requested block to its end; its events go to ``events`` in order.
        Raises ``ValueError`` with the message the caller sees when it cannot start."""

    async def query_block(self, block: str) -> dict[str, Any]:
        """oocana's block description (``query_block``); ``ValueError`` when unknown."""

    async def query_downstream(self, handles: list[str] | None) -> dict[str, Any]:
        """Where the job's outputs go (``query_downstream``)."""


class Executor(abc.ABC):
    """Runs jobs somewhere; the scheduler never blocks on it."""

    async def start(self) -> None:
        """Get ready (e.g. warm a first worker); cheap to call twice. Nothing by default."""
        return None

    async def run(self, job: Job, handler: JobHandler) -> Outcome:
        """Run the job to its end. Cancelling the awaiting task cancels the job (its
        worker is stopped) and re-raises ``CancelledError``."""
        timeout = job.timeout
        if not timeout:
            return await self._run(job, handler)
        try:
            return await asyncio.wait_for(self._run(job, handler), timeout)
        except asyncio.TimeoutError:
            return Outcome(OutcomeStatus.TIMEOUT, error=TIMEOUT_ERROR)

    @abc.abstractmethod
    async def _run(self, job: Job, handler: JobHandler) -> Outcome:
        """``run`` without the timeout; what an executor that wraps this one calls."""

    def submit(self, job: Job, handler: JobHandler, done: Callable[[Outcome], None]
               ) -> Callable[[], None]:
        """Start the job; ``done(outcome)`` when it ended. Returns how to cancel it."""
        ended = False

        async def run() -> None:
            nonlocal ended
            try:
                outcome = await self.run(job, handler)
            except asyncio.CancelledError:
                outcome = Outcome(OutcomeStatus.CANCELLED, error="Cancelled")
            except Exception as exc:  # an engine bug: the job still ends
                outcome = Outcome(OutcomeStatus.FAILED, error=f"oocana-local internal error: "
                                                             f"{type(exc).__name__}: {exc}")
            ended = True
            done(outcome)  # in the same turn as ``run`` returned, as an awaiting caller

        def never_ran(task: asyncio.Task[None]) -> None:
            if not ended:  # cancelled before its first step: its body never ran
                done(Outcome(OutcomeStatus.CANCELLED, error="Cancelled"))

        task = asyncio.get_running_loop().create_task(run())
        task.add_done_callback(never_ran)

        def cancel() -> None:
            task.cancel()

        return cancel

    async def free(self, keys: list[str]) -> None:
        """Forget stored values (var references) no longer reachable (an executor that
        keeps none: nothing)."""
        return None

    def holds(self, keys: list[str]) -> bool:
        """Whether every one of these var values is still held somewhere."""
        return not keys

    def prestart(self, job: Job) -> None:
        """Start a service before its first call (``start_at``; ``runtime/prestart.py``).
        Only the service executor (and what wraps it) does anything."""
        return None

    async def session_ended(self, session_id: str) -> None:
        """A run's session is over: what lived as long as it (services, the processes of
        its ``spawn: true`` nodes) may go. Nothing by default; the run calls it once, after
        its last job."""
        return None

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop every worker; nothing is left running afterwards."""


def unsupported(job: Job, runs: str) -> Outcome:
    """The outcome of a job whose block's executor this executor cannot run."""
    return Outcome(OutcomeStatus.FAILED, error=(
        f"oocana-local cannot run blocks of the {job.spec.executor!r} executor ({runs}); "
        f"node {job.node_id} uses it"))


def injection_gone(job: Job) -> Outcome:
    """The outcome of an injected job whose target process is not there: never run it
    anywhere else (its block expects the state that process holds)."""
    target = job.spec.inject
    name = target.node_id if target else "?"
    return Outcome(OutcomeStatus.FAILED, error=(
        f"node {job.node_id!r} runs in the process of node {name!r} (inject), but that "
        f"process is no longer running: it exited after {name!r} ran (a crash, an exit, or "
        f"a timeout or cancel that stopped it), and the state {job.node_id!r} needs went "
        f"with it"))
