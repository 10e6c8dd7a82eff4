"""``ServiceExecutor``: runs the jobs of service blocks, one long-lived worker per service.

A service block's job (``JobSpec.service`` set) goes to the worker of its service; the
worker runs the service's ``function(service)`` once and then every call of its blocks
(``worker/service.py``, ``nodejs/service.mjs``). The worker is an ordinary worker of the
service's language, held by a ``NodePool`` of its own fixed to one scope, so its calls run
concurrently, as in oocana (a Python worker runs each call on a thread). So a call
reports, outputs and finishes as any job does; this module decides which worker and for
how long:

* ``session_end`` (default): one instance per session, stopped when the session ends
  (``session_ended``, called by the run).
* ``block_end``: per session too, stopped once it has been idle ``keep_alive`` seconds
  (its pool's idle timer retires the worker); the next call starts a fresh instance.
* ``app_end`` / ``never``: one instance for the engine, stopped when the engine closes.

``start_at``: ``block_start`` (default) starts the instance with its first call;
``session_start`` and ``app_start`` ones are started by the run before any call
(``prestart``: a job naming no block, which only runs ``function(service)``).

A worker that dies fails the call(s) it was running (the pool's ``crashed`` outcome, with
the exit code) and the next call starts the service again.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from ..states import OutcomeStatus
from ..wire import names
from ..worker import blobs as shm
from .base import Executor, Job, JobHandler, Outcome
from .lifecycle import start_task
from .node_pool import NodePool
from .prelaunch import SHM_NAMESPACE, worker_env
from .process import WorkerProcess

__all__ = ["ServiceExecutor"]

_GLOBAL = ("app_end", "never")
_FOREVER = 10.0 ** 9  # only a block_end service's worker is retired for idling


@dataclass
class _Instance:
    """One running service: its pool of exactly one worker and its calls in flight."""

    pool: NodePool
    calls: int = 0


class _PythonServicePool(NodePool):
    """``NodePool``'s one-worker-many-jobs bookkeeping over a Python worker: the worker
    runs each service call on a thread of its own (``worker/serve.py``), as oocana's
    Python executor does. Only what makes a worker a Node.js one differs."""

    label = "Python"

    async def _prepare(self, job: Job) -> None:
        pass  # no node, no esbuild

    def _wire(self, job: Job, handler: JobHandler) -> dict[str, Any]:
        return {"type": names.RUN, "job": job.wire()}  # it resolves its secrets itself

    def _new_process(self) -> WorkerProcess:
        assert self._loop is not None
        return WorkerProcess(self._loop, env=worker_env(self.env), on_message=self.runs.route,
                             on_output=self.runs.output, on_exit=self._on_exit)


class _Quiet:
    """The handler of a ``prestart`` job: nobody asked for it, so nothing is reported. A
    start that fails is run again, and reported, by the service's first call."""

    def on_start(self, cached: bool) -> None:
        pass

    def on_event(self, message: dict[str, Any]) -> None:
        pass

    async def run_block(self, request: Any, events: Any) -> None:
        raise ValueError("a service's start function cannot run blocks")

    async def query_block(self, block: str) -> dict[str, Any]:
        raise ValueError("a service's start function cannot query blocks")

    async def query_downstream(self, handles: list[str] | None) -> dict[str, Any]:
        return {}


class ServiceExecutor(Executor):
    def __init__(self, env: dict[str, str] | None = None):
        # One shared-memory namespace for all its workers, removed when it closes.
        self.env = {**(env or {}), SHM_NAMESPACE: shm.new_namespace()}
        self._instances: dict[tuple[str, str | None], _Instance] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        """Service starts (``prestart``) that run on their own; ``close`` waits for them."""
        self._closing = False

    @staticmethod
    def key_of(job: Job) -> tuple[str, str | None]:
        service = job.spec.service
        assert service is not None  # the router sends only service jobs here
        scope = None if service.stop_at in _GLOBAL else job.session_id
        return service.key, scope

    def running(self) -> list[tuple[str, str | None]]:
        """The services alive now, as (service key, session id or None for global)."""
        return [key for key, inst in self._instances.items() if inst.pool.workers]

    def prestart(self, job: Job) -> None:
        """Start the service of ``job`` (a job naming no block) now, in the background,
        unless it is running already: its calls then find it started."""
        if self._closing:
            return
        instance = self._instances.get(self.key_of(job))
        if instance is not None and (instance.calls or instance.pool.workers):
            return
        # The instance is taken now, not in the task: a session that ends before the task
        # runs then stops it (and the task, finding it stopped, stops what it started).
        key, instance = self._enter(job)
        task = start_task(self._call(key, instance, job, _Quiet()), self._tasks)
        task.add_done_callback(lambda t: t.cancelled() or t.exception())  # its first call tells

    async def _run(self, job: Job, handler: JobHandler) -> Outcome:
        if self._closing:
            handler.on_start(False)
            return Outcome(OutcomeStatus.CANCELLED, error="the engine is closing")
        key, instance = self._enter(job)
        return await self._call(key, instance, job, handler)

    def _enter(self, job: Job) -> tuple[tuple[str, str | None], _Instance]:
        """The instance that runs ``job`` (made if none), counted busy for it."""
        service = job.spec.service
        assert service is not None
        key = self.key_of(job)
        instance = self._instances.get(key)
        if instance is None:  # every job of its pool goes to its one worker, concurrently
            pool = NodePool if job.spec.executor == "nodejs" else _PythonServicePool
            idle = service.keep_alive if service.stop_at == "block_end" else _FOREVER
            instance = self._instances[key] = _Instance(
                pool(env=self.env, idle_timeout=idle, scope=f"service\0{key[0]}\0{key[1]}"))
        instance.calls += 1
        return key, instance

    async def _call(self, key: tuple[str, str | None], instance: _Instance, job: Job,
                    handler: JobHandler) -> Outcome:
        try:
            return await instance.pool.run(job, handler)
        finally:
            instance.calls -= 1
            # Stopped while this job ran (its session ended): what the job may have started
            # goes too.
            if not self._closing and self._instances.get(key) is not instance \
                    and instance.calls == 0 and instance.pool.workers:
                await instance.pool.close()

    async def session_ended(self, session_id: str) -> None:
        """Stop the services of this session (``session_end`` and ``block_end`` ones)."""
        ending = [self._instances.pop(k) for k in list(self._instances) if k[1] == session_id]
        await asyncio.gather(*(i.pool.close() for i in ending), return_exceptions=True)

    async def free(self, keys: list[str]) -> None:
        for instance in self._instances.values():
            await instance.pool.free(keys)

    def holds(self, keys: list[str]) -> bool:
        return all(any(i.pool.holds([k]) for i in self._instances.values()) for k in keys)

    async def close(self) -> None:
        self._closing = True
        instances = list(self._instances.values())
        self._instances.clear()
        await asyncio.gather(*(i.pool.close() for i in instances), *self._tasks,
                             return_exceptions=True)
        shm.sweep(self.env[SHM_NAMESPACE])  # what its workers left, only that
