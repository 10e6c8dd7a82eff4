"""The life of a job on a worker, written once for every worker-backed executor.

``WorkerPool`` (Python processes), ``NodePool`` (Node.js processes, and the worker of a
service) and ``RayExecutor`` (Ray actors) are adapters: each decides which worker runs a
job, how a worker is started and how to speak to it. What happens between a job's start
and its end is here, the same for all of them:

* ``Runs`` is the table of runs in flight, and ``Runs.route`` the one message router: a
  job's events go to its handler, its requests are answered (``requests.py``) over a
  ``Link`` (in order, values the worker lacks supplied by the adapter), its
  ``BlockFinished`` ends it.
* finish: ``BlockFinished`` ends the job ``done`` with its result, or ``failed`` with the
  error the block raised.
* crash: a worker that dies ends every job running on it ``crashed``, with the cause (why
  the engine stopped it, or how it exited) and the last lines it wrote to stderr.
* timeout: ``Executor.run`` (``base.py``) cancels a job that runs too long.
* cancel: the job's worker is stopped (its whole process group) and its exit awaited at
  most ``CANCEL_WAIT`` seconds; other jobs on that worker end ``crashed`` saying why. (A
  pool's job sent ahead that has not begun is asked back instead: ``pool.py``.)
* late output: what a job says after it finished (a thread or a callback it left behind)
  still goes to that job's handler, for the last ``LATE_JOBS`` jobs the executor finished.
  Output that names no job (written straight to a worker's stdout/stderr) goes to the
  newest job running on that worker (not one sent ahead that has not begun), or else to
  the job that finished on it last.
* a handler that raises is reported to the event loop's exception handler, never fatal:
  the job, its worker and the other jobs go on.

An adapter subclasses ``Adapter`` (its ``Runs``, the ``ValueIndex`` of its workers'
values); the two over worker processes subclass ``ProcessExecutor``.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import weakref
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, Generic, TypeVar

from ..states import OutcomeStatus
from ..wire import names
from ..wire.values import carried, var_keys
from .base import Executor, Job, JobHandler, Outcome, unsupported
from .prelaunch import kill_group
from .process import WorkerProcess, describe_exit
from .requests import answer_request
from .value_index import Holder, ValueIndex

__all__ = ["Run", "Runs", "Link", "Adapter", "ProcessExecutor", "CANCEL_WAIT", "LATE_JOBS",
           "start_task"]

CANCEL_WAIT = 5.0
"""Seconds a cancelled job waits for its worker to be gone."""
LATE_JOBS = 256
"""Finished jobs whose late output is still delivered."""

W = TypeVar("W", bound=Holder)
P = TypeVar("P", bound=WorkerProcess)


def start_task(work: Coroutine[Any, Any, Any], tasks: set[asyncio.Task[Any]]
               ) -> asyncio.Task[Any]:
    """``work`` as a task held in ``tasks`` (to cancel or await) until it ends."""
    task = asyncio.get_running_loop().create_task(work)
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return task


class Run:
    """One job handed to an executor: its handler, the future of its outcome, the worker
    it runs on once placed, and the tasks (request answers) that die with it."""

    __slots__ = ("job", "handler", "future", "worker", "tasks", "ahead", "waiting")

    def __init__(self, job: Job, handler: JobHandler, future: asyncio.Future[Outcome]):
        self.job = job
        self.handler = handler
        self.future = future
        self.worker: Any = None
        self.tasks: set[asyncio.Task[Any]] = set()
        self.ahead = False
        """Sent to a worker busy with another job; it has not begun (``pool.py``)."""
        self.waiting = 0
        """``run_block`` requests it waits on."""

    def settle(self, outcome: Outcome) -> None:
        if not self.future.done():
            self.future.set_result(outcome)
        for task in self.tasks:
            task.cancel()


class Link:
    """How one request of a job is answered on its worker: the events of the job a
    ``run_block`` request started, then the response, in the order said. A message that
    names values its worker lacks waits for the adapter to ``supply`` them (and those
    after it wait for it); the rest go at once."""

    def __init__(self, adapter: Adapter[Any], worker: Any, run: Run, request_id: Any):
        self.adapter = adapter
        self.worker = worker
        self.run = run
        self.request_id = request_id
        self._tail: asyncio.Task[None] | None = None

    def emit(self, event: dict[str, Any]) -> None:
        """An event of the job a ``run_block`` request started, to the asking worker."""
        message = {"type": names.RUN_BLOCK_EVENT, "request_id": self.request_id,
                   "event": event}
        missing = self.adapter.values.missing_on(self.worker, var_keys(carried(event)))
        if not missing and (self._tail is None or self._tail.done()):
            self.worker.send(message)
        else:
            self._tail = asyncio.get_running_loop().create_task(
                self._send_later(self._tail, message, missing))

    async def _send_later(self, before: asyncio.Task[None] | None, message: dict[str, Any],
                          missing: list[str]) -> None:
        if before is not None:
            with contextlib.suppress(Exception):
                await before
        if missing:
            await self.adapter.supply(self.worker, self.run, message, missing)
        self.worker.send(message)

    async def reply(self, message: dict[str, Any]) -> None:
        """The ``response``, after every event emitted before it."""
        if self._tail is not None:
            with contextlib.suppress(Exception):
                await self._tail
        try:
            self.worker.send(message)
        except Exception as exc:  # e.g. a result that cannot be pickled
            self.worker.send({"type": names.RESPONSE, "request_id": message["request_id"],
                              "error": f"cannot send the response: {exc}"})


class Adapter(Executor, Generic[W]):
    """An executor over workers: its runs, where its workers' values are, and what the
    lifecycle asks of it about its workers."""

    label = "Python"
    """How its workers are named in errors."""

    def __init__(self) -> None:
        self.runs: Runs[W] = Runs(self, self.label)
        self.values: ValueIndex[W] = ValueIndex()
        """Where each var value lives (``value_index.py``)."""
        self._closing = False

    @property
    def _closed(self) -> str:
        return f"the {self.label} executor was closed"

    def holds(self, keys: list[str]) -> bool:
        return self.values.available(keys)

    def refused(self, job: Job, handler: JobHandler, runs: str = "") -> Outcome | None:
        """The job accepted (``on_start``), and the outcome it ends with at once: the
        executor is closing, or (``runs`` says what it runs) it cannot run the block."""
        handler.on_start(False)
        if self._closing:
            return Outcome(OutcomeStatus.CANCELLED, error=self._closed)
        if runs and job.spec.executor != "python":
            return unsupported(job, runs)
        return None

    async def free(self, keys: list[str]) -> None:
        self._forget_values(keys)

    def _forget_values(self, keys: list[str]) -> list[bytes]:
        """Tell the workers holding ``keys`` to drop them; the parked pickles dropped."""
        by_worker, dropped = self.values.forget(keys)
        for worker, held in by_worker.items():
            worker.send({"type": names.FREE, "keys": held})
        return dropped

    def made(self, worker: W, values: Iterable[Any]) -> None:
        """These values (var references among them) are now held by ``worker``."""
        self.values.made(worker, var_keys(values))

    async def supply(self, worker: W, run: Run, message: dict[str, Any],
                     missing: list[str]) -> None:
        """Get ``worker`` the values ``missing`` (held by other workers) before ``message``
        of ``run`` goes to it. As is, nothing: the worker says what it lacks."""

    @abc.abstractmethod
    def finished(self, worker: W, run: Run) -> None:
        """``run`` ended by itself (its outcome is set): the worker may take more."""


class Runs(Generic[W]):
    """The runs in flight of one executor, and the rules of their lives."""

    def __init__(self, adapter: Adapter[W], label: str):
        self._adapter = adapter
        self.label = label
        """``Python``, ``Node.js``, ``Ray``: how a worker is named in errors."""
        self._live: dict[Any, Run] = {}  # job id -> run, in start order
        self._late: OrderedDict[Any, Run] = OrderedDict()
        self._last: dict[W, Run] = {}  # the run that finished last on each worker
        self._stopped: dict[W, str] = {}  # why the engine stopped a worker

    # -- the table ----------------------------------------------------------------------------

    def begin(self, run: Run, worker: W) -> None:
        """``run`` is placed on ``worker``: from now on its messages reach it."""
        run.worker = worker
        self._live[run.job.job_id] = run

    def unplace(self, run: Run) -> None:
        """``run`` never began on its worker and is taken back, to be placed again."""
        if self._live.get(run.job.job_id) is run:
            del self._live[run.job.job_id]
        run.worker = None
        run.ahead = False

    def on(self, worker: W) -> list[Run]:
        """The runs in flight on ``worker``, oldest first."""
        return [run for run in self._live.values() if run.worker is worker]

    def end(self, run: Run, outcome: Outcome) -> None:
        """End ``run`` with ``outcome`` (e.g. it could not be sent to its worker)."""
        if self._live.get(run.job.job_id) is run:
            del self._live[run.job.job_id]
        run.settle(outcome)

    def close(self, error: str) -> None:
        """The executor closes: every run in flight ends ``cancelled``."""
        runs = list(self._live.values())
        self._live.clear()
        for run in runs:
            run.settle(Outcome(OutcomeStatus.CANCELLED, error=error))

    # -- messages -----------------------------------------------------------------------------

    def route(self, worker: W, message: dict[str, Any]) -> None:
        """One message from ``worker``, to where it belongs."""
        kind = message.get("type")
        job_id = message.get("job_id")
        run = self._live.get(job_id)
        if run is not None and run.worker is not worker:
            run = None
        if kind == names.BLOCK_FINISHED:
            if run is not None:
                self._finish(worker, run, message)
            return
        if kind == names.BLOCK_REQUEST:
            if run is None:
                return  # a finished job's leftover thread: nobody can answer it
            if message.get("action") == names.RUN_BLOCK:  # inputs the caller now holds
                self._adapter.made(worker, carried(message))
            start_task(self._answer(worker, run, message), run.tasks)
            return
        if run is None:
            run = self._late.get(job_id)
            if run is None or run.worker is not worker:
                return
        if kind == names.BLOCK_OUTPUT or kind == names.BLOCK_OUTPUTS:
            self._adapter.made(worker, carried(message))
        self.deliver(run, message)

    def output(self, worker: W, line: str, stdio: str) -> None:
        """A line the worker wrote to its own stdout/stderr, which names no job."""
        running = [run for run in self.on(worker) if not run.ahead]
        run = running[-1] if running else self._last.get(worker)
        if run is not None:
            self.deliver(run, {"type": names.BLOCK_LOG, "job_id": run.job.job_id,
                               "log": line, "stdio": stdio})

    @staticmethod
    def deliver(run: Run, message: dict[str, Any]) -> None:
        """``handler.on_event(message)``; a handler that raises is reported, never fatal."""
        try:
            run.handler.on_event(message)
        except Exception as exc:
            asyncio.get_running_loop().call_exception_handler({
                "message": f"oocana-local: the handler of job {run.job.job_id} failed on "
                           f"{message.get('type')!r}", "exception": exc})

    def _finish(self, worker: W, run: Run, message: dict[str, Any]) -> None:
        job_id = run.job.job_id
        del self._live[job_id]
        self._late[job_id] = run
        while len(self._late) > LATE_JOBS:
            self._late.popitem(last=False)
        self._last[worker] = run
        result = message.get("result")
        if result:
            self._adapter.made(worker, result.values())
        error = message.get("error")
        if error is not None:
            run.settle(Outcome(OutcomeStatus.FAILED, error=error))
        else:
            run.settle(Outcome(OutcomeStatus.DONE, result=result))
        self._adapter.finished(worker, run)

    async def _answer(self, worker: W, run: Run, message: dict[str, Any]) -> None:
        link = Link(self._adapter, worker, run, message.get("request_id"))
        waits = message.get("action") == names.RUN_BLOCK
        run.waiting += waits
        try:
            await link.reply(await answer_request(run.handler, message, link.emit))
        finally:
            run.waiting -= waits

    # -- the end of a worker ------------------------------------------------------------------

    def crash(self, worker: W, cause: str, tail: Iterable[str] = ()) -> None:
        """``worker`` is gone: its runs end ``crashed`` with why (the engine's reason for
        stopping it, else ``cause``) and ``tail``, the last lines it wrote to stderr."""
        self._last.pop(worker, None)
        error = self._stopped.pop(worker, None) or cause
        lines = list(tail)
        if lines:
            error += "\n" + "\n".join(lines)
        for run in self.on(worker):
            self.end(run, Outcome(OutcomeStatus.CRASHED, error=error))

    async def cancel(self, run: Run, stop: Callable[[], None],
                     exited: asyncio.Future[Any] | None = None) -> None:
        """The awaiting task of ``run`` was cancelled: stop its worker (``stop``) and wait
        at most ``CANCEL_WAIT`` for ``exited``. A run not started yet has nothing to stop."""
        for task in run.tasks:
            task.cancel()
        worker = run.worker
        if worker is None or self._live.get(run.job.job_id) is not run:
            return
        del self._live[run.job.job_id]
        if self.on(worker):
            self._stopped[worker] = (
                f"the {self.label} worker was stopped because another job on it "
                f"(node {run.job.node_id!r}) was cancelled (timeout or Ctrl-C)")
        stop()
        if exited is not None:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(exited), CANCEL_WAIT)


class ProcessExecutor(Adapter[P]):
    """What the adapters over worker processes (``WorkerPool``, ``NodePool``) share: the
    idle timer that retires a worker, how a worker's exit ends its runs, closing, and a
    finalizer that kills the process groups of workers left when the engine exits
    without closing the executor."""

    idle_timeout: float

    def __init__(self) -> None:
        super().__init__()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pids: set[int] = set()
        self._finalizer = weakref.finalize(self, kill_groups, self._pids)

    @property
    @abc.abstractmethod
    def workers(self) -> list[P]:
        """Every live worker."""

    async def close(self) -> None:
        self._closing = True
        self.runs.close(self._closed)
        workers = self.workers
        for worker in workers:
            worker.kill()  # and its process group
            self._cancel_idle_timer(worker)
        exits = [w.exited for w in workers if not w.exited.done()]
        if exits:
            await asyncio.wait(exits, timeout=1.0)  # boundedly
        self._finalizer()
        self.values.clear()

    # -- the end of a worker ------------------------------------------------------------------

    def _exited(self, worker: P, returncode: int, prefix: str = "") -> None:
        """``worker`` exited: its values went with it, its runs end ``crashed`` with why."""
        self._pids.discard(worker.pid)
        self._cancel_idle_timer(worker)
        self.values.drop_worker(worker)
        if worker.protocol_error is not None:
            self.runs.crash(worker, worker.protocol_error)
        else:
            self.runs.crash(worker, prefix + describe_exit(returncode), worker.stderr_tail)

    def _idle_timer(self, worker: P) -> None:
        """``_retire_if_idle`` in ``idle_timeout`` seconds, unless it is busy again."""
        self._cancel_idle_timer(worker)
        worker.idle_timer = self._loop.call_later(  # type: ignore[union-attr]
            self.idle_timeout, self._retire_if_idle, worker)

    @staticmethod
    def _cancel_idle_timer(worker: P) -> None:
        if worker.idle_timer is not None:
            worker.idle_timer.cancel()
            worker.idle_timer = None

    @abc.abstractmethod
    def _retire_if_idle(self, worker: P) -> None:
        """The idle timer of ``worker`` fired."""


def kill_groups(pids: set[int]) -> None:
    """Finalizer of a pool: no worker outlives the engine."""
    for pid in list(pids):
        kill_group(pid)
