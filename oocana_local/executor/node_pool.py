"""``NodePool``: warm Node.js workers, one per package per session, each running several
jobs at once (JavaScript blocks mostly wait on I/O), as oocana's Node executor does.

* Scope: a job runs on the worker of ``(session, package)``, so a block's module state
  persists across its jobs in one session; ``spawn: true`` gives a node its own worker,
  kept until the session ends; a node with ``inject: {node_id: X}`` runs on X's worker and
  fails when X's worker is not there (none is started for it); a job whose inputs are
  Node values goes to the worker holding them.
* A crash, ``process.exit`` or an unhandled rejection ends the worker: every job running on
  it fails with the cause (its last words on stderr) and the next job starts a new one.
* Cancelling a job (a node timeout, Ctrl-C) kills its worker's process group; the other
  jobs on that worker are reported as crashed.
* TypeScript needs esbuild (``node_tools``): found or installed before the first ``.ts``
  job, once per engine.

The same bookkeeping serves a service's Python worker (``services.py``): ``label``,
``_prepare``, ``_wire`` and ``_new_process`` are what makes a worker a Node.js one.

The scheduler-facing contract is every executor's (``base.py``): ``run(job, handler)``
ends in one ``Outcome``; the handler gets each message of the job and its requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import weakref
from collections import OrderedDict
from typing import Any

from ..errors import WorkerError
from ..node_tools import ensure_esbuild, find_esbuild, node_binary
from ..states import OutcomeStatus
from ..wire import names
from ..wire.values import carried, has_secret_placeholder, is_var_ref, var_key
from .base import Executor, Job, JobHandler, Outcome, injection_gone
from .node_process import NodeWorkerProcess
from .process import ConcurrentWorkerProcess, describe_exit
from .requests import answer_request

__all__ = ["NodePool"]

_TS = (".ts", ".mts", ".tsx")
_RECENT = 256  # finished jobs whose late logs (async callbacks) are still delivered


class _NodeRun:
    __slots__ = ("job", "handler", "future", "worker", "tasks")

    def __init__(self, job: Job, handler: JobHandler, future: asyncio.Future[Outcome]):
        self.job = job
        self.handler = handler
        self.future = future
        self.worker: ConcurrentWorkerProcess | None = None
        self.tasks: set[asyncio.Task[Any]] = set()

    def settle(self, outcome: Outcome) -> None:
        if not self.future.done():
            self.future.set_result(outcome)
        for task in self.tasks:
            task.cancel()


def _kill_groups(pids: set[int]) -> None:
    for pid in list(pids):
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)


_SPAWN = "\0spawn\0"


def _spawn_scope(session_id: str, spawn_key: str) -> str:
    """The worker of a ``spawn: true`` node in one session."""
    return f"{session_id}{_SPAWN}{spawn_key}"


def _needs_typescript(job: Job) -> bool:
    return job.spec.source is not None or (job.spec.entry or "").endswith(_TS)


def _with_secrets(job: Job, handler: JobHandler) -> dict[str, Any]:
    """The job as sent, with ``${{OO_SECRET:...}}`` placeholders and ``oomol/secret`` /
    credential inputs resolved here (the Node worker has no resolver of its own)."""
    wire = job.wire()
    if not job.inputs or not (wire["secret_handles"] or has_secret_placeholder(job.inputs.values())):
        return wire
    from ..secrets import resolve_inputs

    spec = job.spec
    wire["inputs"], secrets = resolve_inputs(job.inputs, spec.inputs_def,
                                             spec.inputs_def_patch, spec.secrets_file)
    if secrets:  # the engine masks them in every record of the run
        handler.on_event({"type": names.BLOCK_SECRETS, "job_id": job.job_id,
                          "values": secrets})
    return wire


class NodePool(Executor):
    def __init__(self, env: dict[str, str] | None = None, idle_timeout: float = 30.0,
                 scope: str | None = None):
        self.env = dict(env or {})
        self.idle_timeout = idle_timeout
        self.scope = scope
        """When set, every job runs on the one worker of this scope (a service's)."""
        self.holders: dict[str, ConcurrentWorkerProcess] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._workers: dict[str, ConcurrentWorkerProcess] = {}
        self._recent: OrderedDict[str, JobHandler] = OrderedDict()
        self._idle_timers: dict[ConcurrentWorkerProcess, asyncio.TimerHandle] = {}
        self._esbuild: str | None = None
        self._esbuild_lock: asyncio.Lock | None = None
        self._pids: set[int] = set()
        self._closing = False
        self._finalizer = weakref.finalize(self, _kill_groups, self._pids)

    @property
    def workers(self) -> list[ConcurrentWorkerProcess]:
        return list(self._workers.values())

    # What makes these workers Node.js ones (``executor/services.py`` runs Python service
    # workers through this pool with its own three).
    label = "Node.js"

    @property
    def _closed(self) -> str:
        return f"the {self.label} worker pool was closed"

    async def _prepare(self, job: Job) -> None:
        """What must be there before the job can run: node, and esbuild for TypeScript."""
        node_binary()
        if _needs_typescript(job):
            await self._ensure_esbuild()

    def _wire(self, job: Job, handler: JobHandler) -> dict[str, Any]:
        return _with_secrets(job, handler)

    def _new_process(self, scope: str) -> ConcurrentWorkerProcess:
        assert self._loop is not None
        env = dict(os.environ)
        env.update(self.env)
        if self._esbuild is None:
            found = find_esbuild()
            self._esbuild = str(found) if found else None
        if self._esbuild:
            env["OOCANA_LOCAL_ESBUILD"] = self._esbuild
        worker = NodeWorkerProcess(self._loop, env=env, on_message=self._on_message,
                                   on_output=self._on_output, on_exit=self._on_exit,
                                   scope=scope)
        worker.typescript = bool(self._esbuild)
        return worker

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()

    async def _run(self, job: Job, handler: JobHandler) -> Outcome:
        loop = self._loop = asyncio.get_running_loop()
        handler.on_start(False)
        if self._closing:
            return Outcome(OutcomeStatus.CANCELLED, error=self._closed)
        try:
            await self._prepare(job)
        except WorkerError as exc:
            return Outcome(OutcomeStatus.FAILED, error=str(exc))
        if job.spec.inject is not None:
            found = self._workers.get(self._scope(job))
            if found is None or not found.alive:
                return injection_gone(job)
            if _needs_typescript(job) and not found.typescript:
                return Outcome(OutcomeStatus.FAILED, error=(
                    f"node {job.node_id!r} is TypeScript, but the process of node "
                    f"{job.spec.inject.node_id!r} it runs in (inject) was started before "
                    "the TypeScript compiler was installed; run the flow again"))
        try:
            worker = self._worker_for(job)
        except WorkerError as exc:
            return Outcome(OutcomeStatus.CRASHED, error=str(exc))
        run = _NodeRun(job, handler, loop.create_future())
        run.worker = worker
        worker.jobs[job.job_id] = run
        self._cancel_idle_timer(worker)
        try:
            if not worker.ready.done():
                await asyncio.shield(worker.ready)
        except asyncio.CancelledError:
            await self._cancel(run)
            raise
        except Exception as exc:  # it died before it was ready: on_exit settled the run
            run.settle(Outcome(OutcomeStatus.CRASHED,
                               error=f"could not start a {self.label} worker: {exc}"))
        if not run.future.done():
            try:
                wire = self._wire(job, handler)
            except LookupError as exc:  # SecretError: a missing secret fails the job
                run.settle(Outcome(OutcomeStatus.FAILED, error=str(exc)))
                wire = None
            if wire is not None and not worker.send({"type": names.RUN, "job": wire}):
                run.settle(Outcome(OutcomeStatus.CRASHED,
                                   error=f"the {self.label} worker is gone"))
        try:
            return await run.future
        except asyncio.CancelledError:
            await self._cancel(run)
            raise

    def holds(self, keys: list[str]) -> bool:
        return all((w := self.holders.get(k)) is not None and w.alive for k in keys)

    async def free(self, keys: list[str]) -> None:
        by_worker: dict[ConcurrentWorkerProcess, list[str]] = {}
        for key in keys:
            worker = self.holders.pop(key, None)
            if worker is not None and worker.alive:
                by_worker.setdefault(worker, []).append(key)
        for worker, held in by_worker.items():
            worker.send({"type": names.FREE, "keys": held})

    async def close(self) -> None:
        self._closing = True
        workers = self.workers
        for worker in workers:
            for run in list(worker.jobs.values()):
                run.settle(Outcome(OutcomeStatus.CANCELLED, error=self._closed))
            worker.kill()
        exits = [w.exited for w in workers if not w.exited.done()]
        if exits:
            await asyncio.wait(exits, timeout=1.0)
        for timer in self._idle_timers.values():
            timer.cancel()
        self._idle_timers.clear()
        self._finalizer()

    # -- workers ------------------------------------------------------------------------------

    async def _ensure_esbuild(self) -> None:
        if self._esbuild is not None:
            return
        if self._esbuild_lock is None:
            self._esbuild_lock = asyncio.Lock()
        async with self._esbuild_lock:
            if self._esbuild is None:
                found = find_esbuild()
                if found is None:  # first TypeScript job on this machine: npm install once
                    found = await asyncio.get_running_loop().run_in_executor(None, ensure_esbuild)
                self._esbuild = str(found)

    def _scope(self, job: Job) -> str:
        if self.scope is not None:
            return self.scope
        spec = job.spec
        if spec.inject is not None:
            return _spawn_scope(job.session_id, spec.inject.spawn_key)
        if spec.spawn_key is not None:
            return _spawn_scope(job.session_id, spec.spawn_key)
        for value in job.inputs.values():  # Node values are usable only where they live
            if is_var_ref(value):
                holder = self.holders.get(var_key(value))
                if holder is not None and holder.alive:
                    return holder.scope
        return f"{job.session_id}\0{spec.package_dir or spec.dir}"

    def _worker_for(self, job: Job) -> ConcurrentWorkerProcess:
        scope = self._scope(job)
        worker = self._workers.get(scope)
        if worker is not None and worker.alive:
            if worker.typescript or not _needs_typescript(job):
                return worker
            # Started before esbuild was installed: a successor can compile TypeScript.
            if not worker.jobs:
                self._retire(worker)
        self._retire_others(job)
        worker = self._new_process(scope)
        if _SPAWN in scope:
            worker.sessions.add(job.session_id)
        worker.spawn()
        self._pids.add(worker.pid)
        self._workers[scope] = worker
        return worker

    def _retire_others(self, job: Job) -> None:
        """A new session's worker for a package replaces the idle ones of older sessions."""
        suffix = f"\0{job.spec.package_dir or job.spec.dir}"
        for scope, worker in list(self._workers.items()):
            if scope.endswith(suffix) and not scope.startswith(f"{job.session_id}\0") \
                    and not worker.jobs:
                self._retire(worker)

    def _retire(self, worker: ConcurrentWorkerProcess) -> None:
        self._cancel_idle_timer(worker)
        if self._workers.get(worker.scope) is worker:
            del self._workers[worker.scope]
        worker.shutdown()

    async def session_ended(self, session_id: str) -> None:
        """The workers of the session's spawn nodes go (no later session can use them)."""
        prefix = _spawn_scope(session_id, "")
        for scope, worker in list(self._workers.items()):
            if scope.startswith(prefix):
                worker.sessions.clear()  # one still busy retires once idle
                if not worker.jobs:
                    self._retire(worker)

    def _idle_timer(self, worker: ConcurrentWorkerProcess) -> None:
        if _SPAWN in worker.scope and worker.sessions:  # nodes may inject into it
            return
        self._cancel_idle_timer(worker)
        assert self._loop is not None
        self._idle_timers[worker] = self._loop.call_later(
            self.idle_timeout, lambda: None if worker.jobs else self._retire(worker))

    def _cancel_idle_timer(self, worker: ConcurrentWorkerProcess) -> None:
        timer = self._idle_timers.pop(worker, None)
        if timer is not None:
            timer.cancel()

    async def _cancel(self, run: _NodeRun) -> None:
        for task in run.tasks:
            task.cancel()
        worker = run.worker
        if worker is None or not worker.alive:
            return
        worker.jobs.pop(run.job.job_id, None)
        worker.kill_reason = (f"the {self.label} worker was stopped because another job on it "
                              f"(node {run.job.node_id!r}) was cancelled (timeout or Ctrl-C)")
        worker.kill()  # JavaScript cannot be interrupted: the process group goes
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(worker.exited), 5.0)

    # -- what workers say ---------------------------------------------------------------------

    def _note_refs(self, worker: ConcurrentWorkerProcess, values: Any) -> None:
        for value in values:
            if is_var_ref(value):
                self.holders[var_key(value)] = worker

    def _on_message(self, worker: Any, message: dict[str, Any]) -> None:
        kind = message.get("type")
        job_id = message.get("job_id")
        run = worker.jobs.get(job_id)
        if kind == names.BLOCK_FINISHED:
            if run is not None:
                self._finish(worker, run, message)
            return
        if run is None:
            handler = self._recent.get(job_id)  # type: ignore[arg-type]
            if handler is not None and kind != names.BLOCK_REQUEST:
                worker.deliver(handler, message)
            return
        if kind == names.BLOCK_REQUEST:
            task = asyncio.get_running_loop().create_task(self._answer(worker, run, message))
            run.tasks.add(task)
            task.add_done_callback(run.tasks.discard)
            return
        if kind == names.BLOCK_OUTPUT or kind == names.BLOCK_OUTPUTS:
            self._note_refs(worker, carried(message))
        worker.deliver(run.handler, message)

    def _on_output(self, worker: Any, line: str, stdio: str) -> None:
        """Output written to the worker's own stdout/stderr fds, which no job can be told
        from (native code, a child process started outside any job, or one given the fds
        themselves): the newest job on the worker gets it. Children that a job starts
        with inherited stdio are piped to that job instead (``nodejs/children.mjs``)."""
        runs = list(worker.jobs.values())
        if runs:
            run = runs[-1]
            worker.deliver(run.handler, {"type": names.BLOCK_LOG, "job_id": run.job.job_id,
                                         "log": line, "stdio": stdio})

    def _finish(self, worker: Any, run: _NodeRun, message: dict[str, Any]) -> None:
        del worker.jobs[run.job.job_id]
        self._recent[run.job.job_id] = run.handler
        while len(self._recent) > _RECENT:
            self._recent.popitem(last=False)
        result = message.get("result")
        if result:
            self._note_refs(worker, result.values())
        error = message.get("error")
        if error is not None:
            run.settle(Outcome(OutcomeStatus.FAILED, error=error))
        else:
            run.settle(Outcome(OutcomeStatus.DONE, result=result))
        if not worker.jobs:
            worker.stderr_tail.clear()
            self._idle_timer(worker)

    async def _answer(self, worker: Any, run: _NodeRun, message: dict[str, Any]) -> None:
        request_id = message.get("request_id")
        if message.get("action") == names.RUN_BLOCK:
            self._note_refs(worker, carried(message))

        def emit(event: dict[str, Any]) -> None:
            worker.send({"type": names.RUN_BLOCK_EVENT, "request_id": request_id,
                         "event": event})

        worker.send(await answer_request(run.handler, message, emit))

    def _on_exit(self, worker: Any, returncode: int) -> None:
        self._pids.discard(worker.pid)
        self._cancel_idle_timer(worker)
        scope = worker.scope
        if self._workers.get(scope) is worker:
            del self._workers[scope]
        for key in [k for k, w in self.holders.items() if w is worker]:
            del self.holders[key]
        runs = list(worker.jobs.values())
        worker.jobs.clear()
        if not runs:
            return
        if self._closing:
            for run in runs:
                run.settle(Outcome(OutcomeStatus.CANCELLED, error=self._closed))
            return
        error = worker.kill_reason or f"{self.label} " + describe_exit(returncode)
        if worker.stderr_tail:
            error += "\n" + "\n".join(worker.stderr_tail)
        for run in runs:
            run.settle(Outcome(OutcomeStatus.CRASHED, error=error))
