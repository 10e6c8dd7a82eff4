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
A Node.js worker process (``nodejs/worker.mjs``) has the same plumbing and frames as a
Python worker, its pickles holding only JSON's values (``wire/plain.py``); values that
are not JSON stay in it as ``oomol/var`` references (``nodejs/values.mjs``).

The scheduler-facing contract is every executor's (``base.py``): ``run(job, handler)``
ends in one ``Outcome``; the handler gets each message of the job and its requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path
from typing import Any

from ..errors import WorkerError
from ..node_tools import ensure_esbuild, find_esbuild, node_binary, tools_dir
from ..states import OutcomeStatus
from ..wire import names
from ..wire.plain import dumps_plain
from ..wire.values import SECRET_PLACEHOLDER, is_var_ref, var_key
from .base import Job, JobHandler, Outcome, injection_gone
from .lifecycle import ProcessExecutor, Run
from .process import WorkerProcess

__all__ = ["NodePool", "NodeWorkerProcess", "WORKER_SCRIPT"]

WORKER_SCRIPT = Path(__file__).resolve().parent.parent / "nodejs" / "worker.mjs"
_NODE_FLAGS = ["--enable-source-maps", "--disable-warning=ExperimentalWarning",
               "--disable-warning=MODULE_TYPELESS_PACKAGE_JSON"]

_TS = (".ts", ".mts", ".tsx")
_SPAWN = "\0spawn\0"
_PLACEHOLDER = SECRET_PLACEHOLDER.encode()


def _spawn_scope(session_id: str, spawn_key: str) -> str:
    """The worker of a ``spawn: true`` node in one session."""
    return f"{session_id}{_SPAWN}{spawn_key}"


class NodeWorkerProcess(WorkerProcess):
    """A warm Node worker: it runs several jobs at once."""

    encode = staticmethod(dumps_plain)

    def command(self, fd: int) -> list[str]:
        return [node_binary(), *_NODE_FLAGS, str(WORKER_SCRIPT), "--fd", str(fd)]


class NodePool(ProcessExecutor[WorkerProcess]):
    def __init__(self, env: dict[str, str] | None = None, idle_timeout: float = 30.0,
                 scope: str | None = None):
        super().__init__()
        self.env = dict(env or {})
        self.idle_timeout = idle_timeout
        self.scope = scope
        """When set, every job runs on the one worker of this scope (a service's)."""
        self._workers: dict[str, WorkerProcess] = {}  # scope -> its worker
        self._pinned: set[WorkerProcess] = set()
        """Spawn workers whose session lives: nodes may still inject into them."""
        self._node = self._esbuild = False  # found (or installed) once
        self._installing = asyncio.Lock()

    @property
    def workers(self) -> list[WorkerProcess]:
        return list(self._workers.values())

    def scope_of(self, worker: WorkerProcess) -> str | None:
        return next((s for s, w in self._workers.items() if w is worker), None)

    # What makes these workers Node.js ones (``executor/services.py`` runs Python service
    # workers through this pool with its own four).
    label = "Node.js"

    async def _prepare(self, job: Job) -> None:
        """What must be there before the job can run: node, and esbuild for TypeScript
        (installed by npm before the first TypeScript job on a machine without it)."""
        if not self._node:
            node_binary()
            self._node = True
        if not self._esbuild and (job.spec.source is not None
                                  or (job.spec.entry or "").endswith(_TS)):
            async with self._installing:
                if not self._esbuild:
                    await asyncio.to_thread(ensure_esbuild)
                    self._esbuild = True

    def _wire(self, job: Job, handler: JobHandler) -> dict[str, Any] | bytes:
        """The ``run`` message (here its frame body), with ``${{OO_SECRET:...}}``
        placeholders and ``oomol/secret`` / credential inputs resolved (the Node worker
        has no resolver of its own). A pickle holds each string as its UTF-8 bytes, so one
        scan finds a placeholder where a walk of a 1 MB list took longer than pickling."""
        wire = job.wire()
        message = {"type": names.RUN, "job": wire}
        body = NodeWorkerProcess.encode(message)
        if not job.inputs or not (wire["secret_handles"] or _PLACEHOLDER in body):
            return body
        from ..secrets import resolve_inputs

        spec = job.spec
        wire["inputs"], secrets = resolve_inputs(job.inputs, spec.inputs_def,
                                                 spec.inputs_def_patch,
                                                 job.session.secrets_file)
        if secrets:  # the engine masks them in every record of the run
            handler.on_event({"type": names.BLOCK_SECRETS, "job_id": job.job_id,
                              "values": secrets})
        return NodeWorkerProcess.encode(message)

    def _new_process(self) -> WorkerProcess:
        assert self._loop is not None
        env = dict(os.environ)
        env.update(self.env)
        # Where esbuild is, or will be once a TypeScript job installed it: a worker loads
        # it on its first .ts file, so one started before that can load TypeScript too.
        env["OOCANA_LOCAL_ESBUILD"] = str(find_esbuild() or tools_dir() / "node_modules"
                                          / "esbuild")
        return NodeWorkerProcess(self._loop, env=env, on_message=self.runs.route,
                                 on_output=self.runs.output, on_exit=self._on_exit)

    async def _run(self, job: Job, handler: JobHandler) -> Outcome:
        loop = self._loop = asyncio.get_running_loop()
        if refusal := self.refused(job, handler):
            return refusal
        try:
            await self._prepare(job)
        except WorkerError as exc:
            return Outcome(OutcomeStatus.FAILED, error=str(exc))
        if job.spec.inject is not None:
            found = self._workers.get(self._scope(job))
            if found is None or not found.alive:
                return injection_gone(job)
        try:
            worker = self._worker_for(job)
        except WorkerError as exc:
            return Outcome(OutcomeStatus.CRASHED, error=str(exc))
        run = Run(job, handler, loop.create_future())
        self.runs.begin(run, worker)
        self._cancel_idle_timer(worker)
        try:  # JavaScript cannot be interrupted: a cancelled job's worker goes
            if not worker.ready.done():
                with contextlib.suppress(Exception):  # died first: its exit ended the run
                    await asyncio.shield(worker.ready)
            if not run.future.done():
                try:
                    message = self._wire(job, handler)
                except LookupError as exc:  # SecretError: a missing secret fails the job
                    self.runs.end(run, Outcome(OutcomeStatus.FAILED, error=str(exc)))
                else:
                    if not worker.send(message):
                        self.runs.end(run, Outcome(OutcomeStatus.CRASHED,
                                                   error=f"the {self.label} worker is gone"))
            return await run.future
        except asyncio.CancelledError:
            await self.runs.cancel(run, worker.kill, worker.exited)
            raise

    # -- workers ------------------------------------------------------------------------------

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
                holder = self.values.holder(var_key(value))
                scope = self.scope_of(holder) if holder is not None else None
                if scope is not None:
                    return scope
        return f"{job.session_id}\0{spec.package_dir or spec.dir}"

    def _worker_for(self, job: Job) -> WorkerProcess:
        scope = self._scope(job)
        worker = self._workers.get(scope)
        if worker is not None and worker.alive:
            return worker
        self._retire_others(job)
        worker = self._new_process()
        worker.spawn()
        self._pids.add(worker.pid)
        self._workers[scope] = worker
        if _SPAWN in scope:
            self._pinned.add(worker)
        return worker

    def _retire_others(self, job: Job) -> None:
        """A new session's worker for a package replaces the idle ones of older sessions."""
        suffix = f"\0{job.spec.package_dir or job.spec.dir}"
        for scope, worker in list(self._workers.items()):
            if scope.endswith(suffix) and not scope.startswith(f"{job.session_id}\0") \
                    and not self.runs.on(worker):
                self._retire(worker)

    def _forget(self, worker: WorkerProcess) -> None:
        self._cancel_idle_timer(worker)
        self._pinned.discard(worker)
        scope = self.scope_of(worker)
        if scope is not None:
            del self._workers[scope]

    def _retire(self, worker: WorkerProcess) -> None:
        self._forget(worker)
        worker.shutdown()

    async def session_ended(self, session_id: str) -> None:
        """The workers of the session's spawn nodes go (no later session can use them)."""
        prefix = _spawn_scope(session_id, "")
        for scope, worker in list(self._workers.items()):
            if scope.startswith(prefix):
                self._pinned.discard(worker)  # one still busy retires once idle
                if not self.runs.on(worker):
                    self._retire(worker)

    def _retire_if_idle(self, worker: WorkerProcess) -> None:
        if worker not in self._pinned and not self.runs.on(worker):
            self._retire(worker)

    # -- the lifecycle's questions (``lifecycle.Adapter``) -------------------------------------

    def finished(self, worker: WorkerProcess, run: Run) -> None:
        if not self.runs.on(worker):
            worker.stderr_tail.clear()
            self._idle_timer(worker)

    def _on_exit(self, worker: Any, returncode: int) -> None:
        self._forget(worker)
        self._exited(worker, returncode, f"{self.label} ")

