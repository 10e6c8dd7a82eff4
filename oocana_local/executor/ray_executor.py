"""``RayExecutor``: Python jobs on warm Ray actors (``worker/ray_actor.py``); an adapter
of the job lifecycle (``lifecycle.py``) with the ``WorkerPool``'s contract (one job at a
time per actor, messages in the order said, requests answered, ``Executor.run``'s
timeout). What differs:

* placement: Ray places the actors, grouped by the resources their jobs declare (a
  ``spawn`` node's in a group of its own); a job takes an idle actor of its group,
  preferring one that holds its inputs; a group grows up to ``max_actors``.
* jobs go over a direct TCP channel to each placed actor (the engine connects to the
  address the actor listens on, a secret token first), as frames of a worker's socket
  (``FrameConnection``): no Ray call per job. An unreachable address fails the job
  naming host:port.
* values stay in the actor that made them; a job on another actor gets object refs
  (the holder exports once), handed to its actor by a Ray call (``take``) before the job.
* faults: a channel that closes crashes its job with Ray's cause of the death, and the
  actor is dropped; cancel and timeout kill the actor; ``close`` kills them all (and
  shuts down the Ray runtime it started).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections import deque
from typing import Any

from ..errors import UsageError
from ..states import OutcomeStatus
from ..wire import names
from ..wire.connection import FrameConnection
from ..wire.values import var_keys
from .base import Job, JobHandler, Outcome, injection_gone
from .lifecycle import Adapter, Run, start_task
from .ray_resources import actor_options

__all__ = ["RayExecutor", "import_ray", "RAY_MISSING", "WorkerLost"]

RAY_MISSING = ("the Ray executor needs Ray: pip install \"oocana-local[ray]\" "
               "(or pip install ray)")
_CONNECT_WAIT = 10.0  # seconds to reach an actor's channel
_CAUSE_WAIT = 5.0  # seconds to ask Ray why an actor whose channel closed died
_PLACEMENT_PATIENCE = 5.0  # seconds an actor may wait for Ray to place it before idle
# actors of other groups are stopped to make room


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UsageError(RAY_MISSING) from None
    return ray


def cause(exc: BaseException) -> str:
    return str(exc).strip() or type(exc).__name__


def _signature(options: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(sorted((k, tuple(sorted(v.items())) if isinstance(v, dict) else v)
                        for k, v in options.items()))


class _Group:
    """Actors of one resource signature (and spawn key: one actor of its own)."""

    def __init__(self, options: dict[str, Any], limit: int):
        self.options = options
        self.limit = limit
        self.idle: list[_Actor] = []
        self.count = 0  # live actors, placed or waiting to be placed
        self.waiters: deque[asyncio.Future[_Actor]] = deque()


class _Actor(FrameConnection):
    """An actor and the engine's end of its channel."""

    peer = "the Ray actor"

    def __init__(self, executor: RayExecutor, handle: Any, group: _Group):
        super().__init__(asyncio.get_running_loop())
        self.executor = executor
        self.handle = handle
        self.group = group
        self.alive = True
        self.address = ""  # host:port of its channel, once open

    def _dispatch(self, message: dict[str, Any]) -> None:
        self.executor.runs.route(self, message)

    def _ended(self) -> None:
        if not self.alive:  # the engine stopped it
            return
        self.close_socket()
        with contextlib.suppress(ValueError):
            self.group.idle.remove(self)  # no job may take it while Ray is asked why
        start_task(self.executor._lost(self), self.executor._spawning)

    def kill(self) -> None:
        self.executor._kill(self)


class RayExecutor(Adapter[_Actor]):
    label = "Ray"

    def __init__(self, address: str | None = None, *, max_actors: int = 8,
                 init_options: dict[str, Any] | None = None):
        """``address``: None starts a local Ray runtime for this executor (unless this
        process is connected to Ray already); ``auto`` or ``ray://host:port`` joins a
        cluster. ``init_options`` go to ``ray.init`` (e.g. ``runtime_env``)."""
        if max_actors < 1:
            raise ValueError("max_actors must be 1 or more")
        super().__init__()
        self.address = address or None
        self.max_actors = max_actors
        self.init_options = dict(init_options or {})
        self.exported: dict[str, tuple[_Actor, Any]] = {}
        """Object refs of values put into the object store, and the actor that put (owns)
        each: reused for every other actor that needs the value."""
        self.started_ray = False
        self.startup_seconds: float | None = None
        self._ray: Any = None
        self._actor_class: Any = None
        self._groups: dict[tuple[Any, ...], _Group] = {}
        self.actors: list[_Actor] = []
        """Live actors, placed or waiting to be placed."""
        self._connecting: asyncio.Future[None] | None = None
        self._spawning: set[asyncio.Task[None]] = set()

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        if self._actor_class is not None:
            return
        if self._connecting is None:  # once: every job waits for the same connection
            self._connecting = asyncio.ensure_future(asyncio.to_thread(self._connect))
        await asyncio.shield(self._connecting)

    def _connect(self) -> None:
        began = time.perf_counter()
        ray = import_ray()
        if not ray.is_initialized():
            options: dict[str, Any] = {"logging_level": "ERROR", "log_to_driver": False,
                                       "configure_logging": True}
            if self.address is None:
                options["include_dashboard"] = False
            else:
                options["address"] = self.address
            options.update(self.init_options)
            try:
                ray.init(**options)
            except ConnectionError as exc:
                raise UsageError(f"cannot join the Ray cluster at {self.address}: {exc}") from exc
            self.started_ray = True
        from ..worker.ray_actor import actor_class

        self._ray = ray
        self._actor_class = actor_class(ray)
        self.startup_seconds = time.perf_counter() - began

    async def close(self) -> None:
        self._closing = True
        spawning = list(self._spawning)
        for task in spawning:
            task.cancel()
        await asyncio.gather(*spawning, return_exceptions=True)
        for group in self._groups.values():
            for waiter in group.waiters:
                waiter.cancel()
        self.runs.close(self._closed)
        for actor in list(self.actors):
            self._kill(actor)
        self.values.clear()
        self.exported.clear()
        if self.started_ray and self._ray is not None:
            self.started_ray = False
            await asyncio.to_thread(self._ray.shutdown)

    # -- values -------------------------------------------------------------------------

    async def free(self, keys: list[str]) -> None:
        for key in keys:
            self.exported.pop(key, None)
        self._forget_values(keys)

    async def fetch(self, key: str) -> Any:
        """The value of a var reference, pulled to this process (only when asked); a
        ``KeyError`` if no actor holds it."""
        return await (await self._export([key]))[key]

    async def _export(self, keys: list[str], exclude: _Actor | None = None
                      ) -> dict[str, Any]:
        """Object refs of ``keys``, from actors (other than ``exclude``) that hold them;
        a key nobody holds is left out (the job that needs it fails saying so)."""
        asks: dict[_Actor, list[str]] = {}
        for key in keys:
            holder = None if key in self.exported else self.values.holder(key, exclude)
            if holder is not None:
                asks.setdefault(holder, []).append(key)
        replies = await asyncio.gather(*(a.handle.export.remote(k) for a, k in asks.items()),
                                       return_exceptions=True)
        for holder, reply in zip(asks, replies, strict=True):
            if not isinstance(reply, BaseException):
                self.exported.update((k, (holder, ref)) for k, ref in reply[0].items())
        return {k: self.exported[k][1] for k in keys if k in self.exported}

    async def supply(self, actor: _Actor, run: Run, message: dict[str, Any],
                     missing: list[str]) -> None:
        """Object refs of ``missing``, handed to ``actor`` by a Ray call (``take``)."""
        refs = await self._export(missing, actor)
        self.values.copied(actor, refs)
        if refs:
            await actor.handle.take.remote(refs)
            message["blobs"] = list(refs)

    # -- jobs ---------------------------------------------------------------------------

    async def _run(self, job: Job, handler: JobHandler) -> Outcome:
        if refusal := self.refused(job, handler, "the Ray executor runs python"):
            return refusal
        try:
            options = actor_options(job.spec.resources)
        except UsageError as exc:
            return Outcome(OutcomeStatus.FAILED, error=str(exc))
        await self.start()
        if job.spec.inject is not None:  # the actor of the spawn node it injects into
            group = next((g for k, g in self._groups.items()
                          if ("spawn", job.spec.inject.spawn_key) in k and g.count), None)
            if group is None:
                return injection_gone(job)
        else:
            group = self._group(options, job.spec.spawn_key, job.nested)
        try:
            actor = await self._acquire(group, var_keys(job.inputs.values()))
        except WorkerLost as exc:
            return Outcome(OutcomeStatus.CRASHED, error=str(exc))
        run = Run(job, handler, asyncio.get_running_loop().create_future())
        self.runs.begin(run, actor)
        try:
            message = {"type": names.RUN, "job": job.wire()}
            missing = self.values.missing_on(actor, var_keys(job.inputs.values()))
            if missing:  # rarely: most values stay where they were made
                await self.supply(actor, run, message, missing)
            if not actor.send(message):
                raise WorkerLost("its channel closed")
            return await run.future
        except asyncio.CancelledError:
            await self.runs.cancel(run, lambda: self._kill(actor))
            raise
        except Exception as exc:  # the actor died as the engine spoke to it
            await self._lost(actor, None if isinstance(exc, WorkerLost) else exc)
            return run.future.result()

    async def _lost(self, actor: _Actor, exc: BaseException | None = None) -> None:
        """``actor``'s channel closed (or a call to it failed): its job ends ``crashed``
        with Ray's cause of its death, and it is stopped (if it is not dead)."""
        if exc is None:
            try:  # a dead actor's call fails with the cause; a live one's answers
                await asyncio.wait_for(asyncio.ensure_future(
                    actor.handle.export.remote([])), _CAUSE_WAIT)
            except Exception as error:
                exc = error
        nodes = ", ".join(repr(r.job.node_id) for r in self.runs.on(actor))
        why = cause(exc) if exc is not None else "its channel closed"
        self.runs.crash(actor, f"the Ray actor running node {nodes} died: {why}")
        self._kill(actor)

    # -- the lifecycle's questions (``lifecycle.Adapter``) -------------------------------

    def finished(self, actor: _Actor, run: Run) -> None:
        self._release(actor)

    # -- actors -------------------------------------------------------------------------

    def _group(self, options: dict[str, Any], spawn_key: str | None, nested: bool
               ) -> _Group:
        # Jobs started by run_block get actors apart from their callers, which hold theirs
        # while they wait: callers filling every actor cannot starve the jobs they wait for.
        key = (*_signature(options), ("spawn", spawn_key), ("nested", nested))
        if key not in self._groups:
            limit = 1 if spawn_key is not None else self.max_actors
            self._groups[key] = _Group(options, limit)
        return self._groups[key]

    async def _acquire(self, group: _Group, keys: list[str]) -> _Actor:
        if group.idle:
            # the one holding most inputs, else the warmest: the last that went idle
            best = max(reversed(group.idle), key=lambda a: self.values.count_held(a, keys))
            group.idle.remove(best)
            return best
        waiter: asyncio.Future[_Actor] = asyncio.get_running_loop().create_future()
        group.waiters.append(waiter)
        if group.count < group.limit:
            self._grow(group)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._release(waiter.result())  # handed over as we were cancelled
            with contextlib.suppress(ValueError):
                group.waiters.remove(waiter)
            raise

    async def _spawn(self, group: _Group) -> None:
        actor = _Actor(self, self._actor_class(group.options), group)
        self.actors.append(actor)
        token = secrets.token_bytes(32)
        ready = asyncio.ensure_future(actor.handle.open_channel.remote(token))
        try:
            while not (await asyncio.wait({ready}, timeout=_PLACEMENT_PATIENCE))[0]:
                if group.options:  # declared resources Ray may lack: free what idles
                    self._evict_one(group)
            where = ready.result()
            actor.address = f"{where['host']}:{where['port']}"
            try:
                await actor.connect(where["host"], where["port"], token, _CONNECT_WAIT)
            except OSError as exc:
                raise WorkerLost(f"cannot connect to the channel of the Ray actor at "
                                 f"{actor.address} ({cause(exc)}): the engine must reach "
                                 "the addresses of the Ray nodes") from None
        except asyncio.CancelledError:
            ready.cancel()
            self._kill(actor)
            with contextlib.suppress(BaseException):
                await ready  # let the wait for Ray's answer end before the loop closes
            raise
        except Exception as exc:
            self._kill(actor)  # placed but unreachable: it must not linger
            while group.waiters:  # nobody else is coming for them: say why
                waiter = group.waiters.popleft()
                if not waiter.done():
                    waiter.set_exception(WorkerLost(
                        f"a Ray actor could not be started: {cause(exc)}"))
                    break
            return
        if self._closing:
            self._kill(actor)
            return
        self._release(actor)

    def _evict_one(self, keep: _Group) -> None:
        """Stop one idle actor of another group whose values nobody needs any more, so
        that its resources go to an actor Ray could not place."""
        for actor in (a for g in self._groups.values() if g is not keep for a in g.idle):
            if not self.values.only_on(actor):
                self._kill(actor)
                return

    def _release(self, actor: _Actor) -> None:
        group = actor.group
        while group.waiters:
            waiter = group.waiters.popleft()
            if not waiter.done():
                waiter.set_result(actor)
                return
        group.idle.append(actor)

    def drop(self, actor: _Actor) -> None:
        """Forget an actor that died or was killed; its group may start another."""
        if not actor.alive:
            return
        actor.alive = False
        actor.close_socket()
        self.runs.crash(actor, actor.protocol_error or "the Ray actor was stopped")
        group = actor.group
        group.count -= 1
        with contextlib.suppress(ValueError):
            group.idle.remove(actor)
        with contextlib.suppress(ValueError):
            self.actors.remove(actor)
        self.values.drop_worker(actor)
        self.exported = {k: v for k, v in self.exported.items() if v[0] is not actor}
        if group.waiters and group.count < group.limit and not self._closing:
            self._grow(group)

    def _grow(self, group: _Group) -> None:
        group.count += 1
        start_task(self._spawn(group), self._spawning)

    def _kill(self, actor: _Actor) -> None:
        with contextlib.suppress(Exception):
            self._ray.kill(actor.handle, no_restart=True)
        self.drop(actor)


class WorkerLost(Exception):
    """The actor of a job died, or none could be started."""
