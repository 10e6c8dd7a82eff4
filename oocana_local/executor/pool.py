"""``WorkerPool``: warm worker processes that run jobs one at a time each.

(Longer than our modules usually are, on purpose: it is one state machine over the
queue, the workers and their values, changed only here and only on the event loop. The
parts that need no pool state are apart: ``growth.py`` decides when to start a process,
``value_index.py`` knows where values live, ``process.py`` moves bytes.)

Placement: a job goes to an idle worker at once, preferring the one holding most of its
var-reference inputs; values held by another worker are fetched from it (``export``) and
sent along as ``blobs``. With no idle worker the job waits; when another process starts
is ``growth.py``'s pure rule (quick fan-outs stay on a few warm workers, long jobs get
parallelism). While jobs are quick (under ``quick`` seconds on average), one more job is
sent ahead to a busy worker, which begins it as soon as its job ends: the engine's work on
one job's end overlaps the worker's run of the next. A job sent ahead that has not begun
after ``grow_after`` seconds (the job before it turned out long, or waits on another) is
revoked and waits for a worker like the others. Jobs with a ``spawn_key`` get a worker of
their own per key, kept while a session that used it lives; an injected job
(``JobSpec.inject``) runs on the worker of its target's spawn key and fails when there is
none (it is never started for it).

Life of a worker: started on demand (``start()`` warms ``min_workers``), replaced on
demand when it dies, retired after ``idle_timeout`` idle seconds beyond ``min_workers``
(its values are exported first and kept as blobs), killed with its whole process group
when a job on it is cancelled or the pool closes. A finalizer kills whatever is left when
the engine exits without closing the pool; a worker whose engine died exits by itself.
"""

from __future__ import annotations

import asyncio
import math
import os
from collections import deque
from collections.abc import Callable
from typing import Any

from ..errors import WorkerError
from ..states import OutcomeStatus
from ..wire import names
from ..wire.values import is_var_ref, var_key
from ..worker import blobs as shm
from .base import Job, JobHandler, Outcome, injection_gone
from .growth import PoolView, workers_to_start
from .lifecycle import ProcessExecutor, Run, start_task
from .prelaunch import SHM_NAMESPACE, take_early, worker_env
from .process import WorkerProcess, describe_exit

__all__ = ["WorkerPool"]


class _Run(Run):
    """One job in the pool: what placement needs to know of it."""

    __slots__ = ("keys", "cached", "queued_at", "started_at", "files", "sent")

    def __init__(self, job: Job, handler: JobHandler, future: asyncio.Future[Outcome]):
        super().__init__(job, handler, future)
        refs = [v for v in job.inputs.values() if is_var_ref(v)]
        self.keys = [var_key(v) for v in refs]
        # Keys a worker can load from the cache file (``serialize_path``) when nobody holds them.
        self.cached = {var_key(v) for v in refs if isinstance(v.get("serialize_path"), str)}
        self.queued_at = 0.0
        self.started_at = 0.0
        self.files: list[Any] = []  # claims on the shared memory of blobs sent for this job
        self.sent = False  # its ``run`` message went to its worker (no more values to copy)

    def settle(self, outcome: Outcome) -> None:
        super().settle(outcome)
        self.release()

    def release(self) -> None:
        # The worker read them before the job could end; if it died or was killed first,
        # nobody else will (``release`` leaves alone an arena segment that was read).
        for claim in self.files:
            shm.release(claim)
        self.files.clear()


class _Worker(WorkerProcess):
    """A worker process with the pool's bookkeeping."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.job: _Run | None = None
        self.queue: deque[_Run] = deque()  # jobs waiting for this dedicated worker
        # Sessions that placed a spawn job on this dedicated worker: it is not retired
        # while one of them lives (nodes may inject into it).
        self.sessions: set[str] = set()
        self.retiring = False
        self.ahead: _Run | None = None  # the job it begins next (sent while ``job`` runs)
        self.revoking = False  # ``ahead`` is asked back


class WorkerPool(ProcessExecutor[_Worker]):
    def __init__(self, max_workers: int = 8, min_workers: int = 1, grow_after: float = 0.05,
                 idle_timeout: float = 30.0, env: dict[str, str] | None = None,
                 cpus: int | None = None, quick: float = 0.005):
        if max_workers < 1 or min_workers < 0 or min_workers > max_workers:
            raise ValueError("need 0 <= min_workers <= max_workers and max_workers >= 1")
        super().__init__()
        self.max_workers = max_workers
        self.min_workers = min_workers
        self.grow_after = grow_after
        self.idle_timeout = idle_timeout
        self.env = dict(env or {})
        self.cpus = cpus or os.cpu_count() or 1
        """Cores the growth rule counts with (``growth.py``)."""
        self.quick = quick
        """Seconds: jobs quicker than this on average may be sent ahead to a worker whose
        job began less than this ago."""
        self._workers: list[_Worker] = []  # shared workers, starting or ready
        self._dedicated: dict[str, _Worker] = {}
        self._idle: list[_Worker] = []
        self._queue: deque[_Run] = deque()
        self._grow_timer: asyncio.TimerHandle | None = None
        self._revoke_timer: asyncio.TimerHandle | None = None
        self._job_seconds = 0.0  # moving average of how long a job holds its worker
        self._spawn_error = "no worker process could be started"
        self._swept = False
        self.shm_namespace = shm.new_namespace()
        """Its workers' shared-memory files are ``<shm_namespace>...``: its alone."""
        self._namespaces = {self.shm_namespace}  # and an adopted early worker's
        self._revokes: dict[str, asyncio.Future[bool]] = {}  # cancelled jobs sent ahead

    # -- what the scheduler sees --------------------------------------------------------------

    @property
    def workers(self) -> list[_Worker]:
        """Every live worker, shared and dedicated."""
        return [*self._workers, *self._dedicated.values()]

    async def start(self) -> None:
        self._bind()
        if not self._swept:  # shared-memory files of engines that died without cleaning up
            self._swept = True
            shm.sweep_dead()
        missing = self.min_workers - len(self._workers)
        started = [self._spawn() for _ in range(max(0, missing))]
        results = await asyncio.gather(*(w.ready for w in started), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise WorkerError(str(result)) from result

    async def _run(self, job: Job, handler: JobHandler) -> Outcome:
        run = self._accept(job, handler)
        if isinstance(run, Outcome):
            return run
        try:
            return await run.future
        except asyncio.CancelledError:
            await self._stop(run)
            raise

    def submit(self, job: Job, handler: JobHandler, done: Callable[[Outcome], None]
               ) -> Callable[[], None]:
        if job.timeout:  # ``run`` keeps the time
            return super().submit(job, handler, done)
        run = self._accept(job, handler)
        loop = self._loop
        assert loop is not None
        if isinstance(run, Outcome):
            loop.call_soon(done, run)
            return lambda: None
        future = run.future

        def ended(future: asyncio.Future[Outcome]) -> None:
            if not future.cancelled():  # cancelled: ``cancel`` calls ``done``
                done(future.result())

        future.add_done_callback(ended)

        def cancel() -> None:
            if not future.done():
                future.cancel()
                stopped = loop.create_task(self._stop(run))
                stopped.add_done_callback(lambda _: done(Outcome(
                    OutcomeStatus.CANCELLED, error="Cancelled")))

        return cancel

    def _accept(self, job: Job, handler: JobHandler) -> _Run | Outcome:
        """The job placed (or queued), or the outcome it ends with at once."""
        self._bind()
        if refusal := self.refused(job, handler, "a worker pool runs python"):
            return refusal
        run = _Run(job, handler, self._loop.create_future())  # type: ignore[union-attr]
        self._submit(run)
        return run

    async def _stop(self, run: _Run) -> None:
        """``run`` is cancelled: out of the queue, or its worker stopped. One sent ahead is
        asked back first: the job its worker runs (maybe another run's) goes on."""
        worker = run.worker
        if worker is None:
            self._unqueue(run)
            return
        if worker.ahead is run and worker.alive:
            job_id, loop = run.job.job_id, asyncio.get_running_loop()
            answer = self._revokes.setdefault(job_id, loop.create_future())
            self._revoke(worker)
            await asyncio.wait({answer, worker.exited}, return_when=asyncio.FIRST_COMPLETED)
            self._revokes.pop(job_id, None)
            if answer.done() and answer.result():
                return  # given back: it never began
        await self.runs.cancel(run, worker.kill, worker.exited)

    async def free(self, keys: list[str]) -> None:
        for parked in self._forget_values(keys):
            shm.unlink(shm.blob_file(parked))

    async def close(self) -> None:
        self._closing = True
        for timer in (self._grow_timer, self._revoke_timer):
            if timer is not None:
                timer.cancel()
        for queue in (self._queue, *(w.queue for w in self.workers)):
            while queue:
                queue.popleft().settle(Outcome(OutcomeStatus.CANCELLED, error=self._closed))
        await super().close()
        for namespace in self._namespaces:  # parked, in flight, half written; not another's
            shm.sweep(namespace)

    # -- placement ----------------------------------------------------------------------------

    def _bind(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif self._loop is not loop:
            raise WorkerError("a WorkerPool is bound to the event loop it first ran on")

    def _submit(self, run: _Run) -> None:
        spec = run.job.spec
        if spec.inject is not None:  # only where its target's state is: never a new worker
            worker = self._dedicated.get(spec.inject.spawn_key)
            if worker is None or not worker.alive or worker.retiring:
                run.settle(injection_gone(run.job))
                return
            key: str | None = spec.inject.spawn_key
        else:
            key = spec.spawn_key
            worker = None if key is None else \
                self._dedicated.get(key) or self._try_spawn(spawn_key=key)
            if worker is not None:
                worker.sessions.add(run.job.session_id)
        if key is not None:
            if worker is None:
                run.settle(Outcome(OutcomeStatus.CRASHED, error=self._spawn_error))
            elif worker.is_ready and worker.job is None and not worker.retiring:
                self._cancel_idle_timer(worker)
                self._start(worker, run)
            else:
                worker.queue.append(run)
            return
        worker = self._take_idle(run)
        if worker is not None:
            self._start(worker, run)
            return
        run.queued_at = self._loop.time()  # type: ignore[union-attr]
        worker = self._ahead_worker(run)
        if worker is not None:
            self._send_ahead(worker, run)
            return
        self._queue.append(run)
        if len(self._workers) < max(1, self.min_workers):
            self._try_spawn()
        elif run.job.nested and len(self._workers) < self._limit() and \
                self._starting() < sum(1 for r in self._queue if r.job.nested):
            # A run_block child: its parent holds a worker while it waits, so waiting for
            # growth would only add latency (or deadlock once every worker is a parent).
            self._try_spawn()
        else:
            self._schedule_growth()

    def _limit(self) -> int:
        """``max_workers``, plus one per worker held by a job waiting on ``run_block``:
        parents waiting for children never use up the pool."""
        return self.max_workers + sum(1 for w in self._workers if w.job and w.job.waiting)

    def _starting(self) -> int:
        return sum(1 for w in self._workers if not w.ready.done())

    def _take_idle(self, run: _Run) -> _Worker | None:
        idle = self._idle
        if not idle:
            return None
        if run.keys:  # the worker holding most inputs; ties go to the most recently used
            best = max(reversed(idle), key=lambda w: self.values.count_held(w, run.keys))
            idle.remove(best)
        else:
            best = idle.pop()
        self._cancel_idle_timer(best)
        return best

    def _schedule_growth(self) -> None:
        if self._grow_timer is None and self._queue:
            self._grow_timer = self._loop.call_later(  # type: ignore[union-attr]
                self.grow_after, self._grow)

    def _grow(self) -> None:
        self._grow_timer = None
        if self._closing or not self._queue:
            return
        for worker in self._workers:  # read what they said meanwhile: the engine may
            if worker.job is not None:  # have been too busy to notice a job end
                worker.read()
        view = PoolView(
            now=self._loop.time(),  # type: ignore[union-attr]
            queued_since=tuple(run.queued_at for run in self._queue),
            busy_since=tuple(-math.inf if w.job.waiting else w.job.started_at
                             for w in self._workers if w.job is not None),
            workers=len(self._workers), starting=self._starting(), limit=self._limit(),
            job_seconds=self._job_seconds, cpus=self.cpus)
        for _ in range(workers_to_start(view, self.grow_after)):
            if self._try_spawn() is None:
                return
        self._schedule_growth()

    def _spawn(self, spawn_key: str | None = None) -> _Worker:
        assert self._loop is not None
        env = worker_env(self.env, namespace=self.shm_namespace)
        worker = _Worker(self._loop, env=env, on_message=self._on_message,
                         on_output=self.runs.output, on_exit=self._on_exit,
                         spawn_key=spawn_key)
        early = take_early(env) if spawn_key is None else None  # the cli's early worker
        if early is not None:
            self._namespaces.add(early.env[SHM_NAMESPACE])
        worker.spawn(early)
        self._pids.add(worker.pid)
        if spawn_key is None:
            self._workers.append(worker)
        else:
            self._dedicated[spawn_key] = worker
        worker.ready.add_done_callback(lambda _: self._on_ready(worker))
        return worker

    def _try_spawn(self, spawn_key: str | None = None) -> _Worker | None:
        """A new worker, or None when none can start (waiting jobs with nowhere else to go
        then fail)."""
        try:
            return self._spawn(spawn_key)
        except WorkerError as exc:
            self._spawn_error = str(exc)
            if spawn_key is None:
                self._fail_queue(str(exc))
            return None

    def _fail_queue(self, error: str) -> None:
        """No shared worker is left to run the waiting jobs: they fail with ``error``."""
        while self._queue and not self._workers:
            self._queue.popleft().settle(Outcome(OutcomeStatus.CRASHED, error=error))

    def _on_ready(self, worker: _Worker) -> None:
        if worker.is_ready and worker.alive and not self._closing:
            self._release(worker)

    def _release(self, worker: _Worker) -> None:
        """The worker is free: give it the next job that fits, or let it idle."""
        if worker.retiring:
            return
        if worker.spawn_key is not None:
            if worker.queue:
                self._start(worker, worker.queue.popleft())
            else:
                self._idle_timer(worker)
            return
        if self._queue:
            self._start(worker, self._next_for(worker))
            self._ahead_from_queue(worker)
            return
        self._idle.append(worker)
        self._idle_timer(worker)

    def _next_for(self, worker: _Worker) -> _Run:
        """The first waiting job whose inputs this worker holds, else the oldest."""
        if self.values.keys_of(worker):
            for i, run in enumerate(self._queue):
                if i >= 32:
                    break
                if self.values.count_held(worker, run.keys):
                    del self._queue[i]
                    return run
        return self._queue.popleft()

    def _start(self, worker: _Worker, run: _Run) -> None:
        worker.job, run.sent = run, False  # (again, if it was given back)
        run.started_at = self._loop.time()  # type: ignore[union-attr]
        self.runs.begin(run, worker)
        missing = self.values.missing_on(worker, run.keys)
        if not missing:
            self._send_run(worker, run, run.job.wire())
            return
        start_task(self._start_with_blobs(worker, run, missing), run.tasks)

    # -- jobs sent ahead ------------------------------------------------------------------------

    def _fits_ahead(self, worker: _Worker, run: _Run, now: float) -> bool:
        """Whether ``run`` may be sent ahead to ``worker``: only while jobs are quick, a
        job without a time limit (cancelling it would stop the job before it), not a
        ``run_block`` child, to a worker whose job began just now (and went to it: it is
        not waiting for values copied from another worker) and that holds its inputs."""
        job = worker.job
        return (self._job_seconds < self.quick and not run.job.timeout
                and not run.job.nested and job is not None and job.sent
                and worker.ahead is None
                and not job.waiting and not worker.retiring
                and now - job.started_at < self.quick
                and not self.values.missing_on(worker, run.keys))

    def _ahead_worker(self, run: _Run) -> _Worker | None:
        now = self._loop.time()  # type: ignore[union-attr]
        return next((w for w in self._workers if self._fits_ahead(w, run, now)), None)

    def _send_ahead(self, worker: _Worker, run: _Run) -> None:
        worker.ahead, run.ahead = run, True
        run.started_at = self._loop.time()  # type: ignore[union-attr]  # sent; begun later
        self.runs.begin(run, worker)
        if self._send_run(worker, run, run.job.wire()) and self._revoke_timer is None:
            self._revoke_timer = self._loop.call_later(  # type: ignore[union-attr]
                self.grow_after, self._revoke_stale)

    def _revoke_stale(self) -> None:
        """Ask back each job sent ahead ``grow_after`` ago that has not begun (one timer
        for the pool: not one per job)."""
        self._revoke_timer = None
        now = self._loop.time()  # type: ignore[union-attr]
        next_at = math.inf
        for worker in self._workers:
            run = worker.ahead
            if run is None or worker.revoking:
                continue
            if now - run.started_at >= self.grow_after:
                self._revoke(worker)
            else:
                next_at = min(next_at, run.started_at + self.grow_after)
        if next_at < math.inf:
            self._revoke_timer = self._loop.call_at(  # type: ignore[union-attr]
                next_at, self._revoke_stale)

    @staticmethod
    def _revoke(worker: _Worker) -> None:
        """Ask the worker to give back the job sent ahead to it (once)."""
        if worker.ahead is not None and not worker.revoking:
            worker.revoking = True
            worker.send({"type": names.REVOKE, "job_id": worker.ahead.job.job_id})

    def _unahead(self, worker: _Worker) -> _Run | None:
        """The job sent ahead to ``worker``, no longer ahead (None if none)."""
        run, worker.ahead, worker.revoking = worker.ahead, None, False
        if run is not None:
            run.ahead = False
        return run

    def _begin_ahead(self, worker: _Worker, run: _Run) -> None:
        """The job before it ended: the worker begins ``run`` now."""
        self._unahead(worker)
        worker.job = run
        run.started_at = self._loop.time()  # type: ignore[union-attr]
        self._ahead_from_queue(worker)

    def _ahead_from_queue(self, worker: _Worker) -> None:
        """The first waiting job, sent ahead to ``worker`` if it fits: a fan-out queued
        at once keeps its worker's next job at hand."""
        now = self._loop.time()  # type: ignore[union-attr]
        if self._queue and self._fits_ahead(worker, self._queue[0], now):
            self._send_ahead(worker, self._queue.popleft())

    def _take_back(self, worker: _Worker) -> _Run | None:
        """The job sent ahead to ``worker``, which will not begin there, out of its runs
        (None if there is none, or it was cancelled meanwhile)."""
        run = self._unahead(worker)
        if run is None:
            return None
        self.runs.unplace(run)
        return None if run.future.done() else run

    def _on_message(self, worker: WorkerProcess, message: dict[str, Any]) -> None:
        if message.get("type") != names.REVOKED:
            self.runs.route(worker, message)  # type: ignore[arg-type]
            return
        assert isinstance(worker, _Worker)
        job_id, run, freed = message.get("job_id"), None, False
        answer = self._revokes.pop(job_id, None)  # type: ignore[arg-type]
        if answer is not None and not answer.done():
            answer.set_result(bool(message.get("revoked")))
        if not message.get("revoked"):
            return  # it began: it ends like any job
        if worker.ahead is not None and worker.ahead.job.job_id == job_id:
            run = self._take_back(worker)
        elif worker.job is not None and worker.job.job.job_id == job_id:
            # The end of the job before it came first, so the engine took it as begun;
            # the worker gave it back and begins the one sent ahead after it, if any.
            taken, worker.job = worker.job, None
            self.runs.unplace(taken)
            run = None if taken.future.done() else taken
            if worker.ahead is not None:
                self._begin_ahead(worker, worker.ahead)
            else:
                freed = True
        if run is not None:
            idle = self._take_idle(run)  # first in line again, for any worker
            if idle is not None:
                self._start(idle, run)
            else:
                self._queue.appendleft(run)
                self._schedule_growth()
        if freed:
            self._release(worker)

    def _send_run(self, worker: _Worker, run: _Run, wire: dict[str, Any]) -> bool:
        try:
            worker.send({"type": names.RUN, "job": wire})
        except Exception as exc:  # e.g. an input value that cannot be pickled
            self._fail_before_start(worker, run, f"cannot send the job to a worker: "
                                                 f"{type(exc).__name__}: {exc}")
            return False
        run.sent = True
        return True

    def _fail_before_start(self, worker: _Worker, run: _Run, error: str) -> None:
        if worker.ahead is run:
            self._unahead(worker)
        else:
            worker.job = None
        self.runs.end(run, Outcome(OutcomeStatus.FAILED, error=error))
        if worker.job is None:
            self._release(worker)

    async def _fetch(self, keys: list[str], exclude: _Worker, run: _Run,
                     cached: set[str] | frozenset[str] = frozenset()
                     ) -> tuple[dict[str, bytes], dict[str, str]]:
        """Pickled copies of ``keys`` from whichever worker (or parked blob) has them, for
        ``run`` (the shared memory of copies made for it is released when it ends), and
        why each missing one could not be had (keys in ``cached`` held by nobody are left
        out silently: the worker reads their cache file)."""
        blobs: dict[str, bytes] = {}
        errors: dict[str, str] = {}
        by_holder: dict[_Worker, list[str]] = {}
        parked = self.values.parked
        for key in keys:
            if key in parked:
                blobs[key] = parked[key]
                continue
            holder = self.values.holder(key, exclude=exclude)
            if holder is None:
                if key not in cached:
                    errors[key] = ("its value is no longer held by any worker (it was freed, "
                                   "or the worker that made it exited)")
            else:
                by_holder.setdefault(holder, []).append(key)
        replies = await asyncio.gather(*(h.export(ks) for h, ks in by_holder.items()),
                                       return_exceptions=True)
        for held, reply in zip(by_holder.values(), replies, strict=True):
            if isinstance(reply, BaseException):
                errors.update({k: f"its value was lost: {reply}" for k in held})
                continue
            for key, blob in (reply.get("blobs") or {}).items():
                blobs[key] = blob
                if claim := shm.blob_claim(blob):
                    run.files.append(claim)
            for key, reason in (reply.get("errors") or {}).items():
                errors[key] = f"its value cannot be copied to another worker: {reason}"
        return blobs, errors

    async def _start_with_blobs(self, worker: _Worker, run: _Run,
                                missing: list[str]) -> None:
        blobs, errors = await self._fetch(missing, worker, run, run.cached)
        if worker.job is not run:  # cancelled meanwhile: nobody will read these
            run.release()
            return
        if errors:
            handles = {var_key(v): h for h, v in run.job.inputs.items() if is_var_ref(v)}
            self._fail_before_start(worker, run, "\n".join(
                f"input {handles.get(key, key)!r}: {reason}" for key, reason in errors.items()))
            return
        wire = run.job.wire()
        wire["blobs"] = blobs
        self.values.copied(worker, blobs)
        self._send_run(worker, run, wire)

    # -- the lifecycle's questions (``lifecycle.Adapter``) -------------------------------------

    async def supply(self, worker: _Worker, run: Run, message: dict[str, Any],
                     missing: list[str]) -> None:
        assert isinstance(run, _Run)
        blobs = (await self._fetch(missing, worker, run))[0]
        if blobs:
            message["blobs"] = blobs
            self.values.copied(worker, blobs)

    def finished(self, worker: _Worker, run: Run) -> None:
        assert isinstance(run, _Run)
        worker.job = None
        spent = self._loop.time() - run.started_at  # type: ignore[union-attr]
        self._job_seconds += 0.2 * (spent - self._job_seconds)
        worker.stderr_tail.clear()
        if worker.ahead is not None:
            self._begin_ahead(worker, worker.ahead)
        else:
            self._release(worker)

    def _on_exit(self, worker: _Worker, returncode: int) -> None:
        for namespace in self._namespaces:  # its reusable segments, unless one is being read
            shm.sweep_arena(worker.pid, namespace)
        if worker in self._workers:
            self._workers.remove(worker)
        if worker in self._idle:
            self._idle.remove(worker)
        if worker.spawn_key is not None and self._dedicated.get(worker.spawn_key) is worker:
            del self._dedicated[worker.spawn_key]
        ahead = None if self._closing else self._take_back(worker)  # it never began
        self._exited(worker, returncode)
        if self._closing:
            return
        if ahead is not None:
            self._submit(ahead)
        waiting = list(worker.queue)
        if not worker.ready.done() or worker.ready.exception() is not None:
            self._spawn_failed(worker, waiting)
            return
        for run in waiting:  # a dedicated worker's waiting jobs go to its successor...
            if run.job.spec.inject is not None:  # ...but for these it would not hold the state
                run.settle(injection_gone(run.job))
            else:
                self._submit(run)
        if self._queue and len(self._workers) < max(1, self.min_workers):
            self._try_spawn()

    def _spawn_failed(self, worker: _Worker, waiting: list[_Run]) -> None:
        """A worker died before it was ready: fail the jobs that have nowhere else to go."""
        exc = worker.ready.exception() if worker.ready.done() else None
        error = f"could not start a worker process: {exc or describe_exit(worker.returncode or 0)}"
        for run in waiting:
            run.settle(Outcome(OutcomeStatus.CRASHED, error=error))
        if worker.spawn_key is None:
            self._fail_queue(error)

    # -- cancelling and retiring ----------------------------------------------------------------

    def _unqueue(self, run: _Run) -> None:
        """A job cancelled before it had a worker leaves the queues."""
        for queue in (self._queue, *(w.queue for w in self._dedicated.values())):
            if run in queue:
                queue.remove(run)

    async def session_ended(self, session_id: str) -> None:
        """The dedicated workers the session kept may retire once idle."""
        for worker in list(self._dedicated.values()):
            if session_id in worker.sessions:
                worker.sessions.discard(session_id)
                if not worker.sessions and worker.job is None and not worker.queue \
                        and worker.is_ready and not self._closing:
                    self._idle_timer(worker)

    def _retire_if_idle(self, worker: _Worker) -> None:
        worker.idle_timer = None
        if worker.job is not None or worker.queue or not worker.alive or self._closing:
            return
        if worker.sessions:  # a live session's spawn node: others may inject into it
            return
        if worker.spawn_key is None:
            staying = sum(1 for w in self._workers if not w.retiring)
            if staying <= self.min_workers or worker not in self._idle:
                return
            self._idle.remove(worker)
        worker.retiring = True
        task = self._loop.create_task(self._retire(worker))  # type: ignore[union-attr]
        task.add_done_callback(lambda t: t.cancelled() or t.exception())

    async def _retire(self, worker: _Worker) -> None:
        """Keep the worker's values as blobs (the only copy may be there), then stop it."""
        only_here = self.values.only_on(worker)
        if only_here:
            try:
                reply = await worker.export(only_here, keep=True)
            except WorkerError:
                return
            if reply.get("errors"):  # values that cannot be pickled keep their worker alive
                worker.retiring = False
                self._release(worker)
                return
            self.values.parked.update(reply.get("blobs") or {})
        worker.shutdown()
