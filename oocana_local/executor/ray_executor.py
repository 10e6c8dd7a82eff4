"""``RayExecutor``: Python jobs run on warm Ray actors (``worker/ray_actor.py``), placed
by Ray; an adapter of the job lifecycle (``lifecycle.py``), like the worker pools.

Same contract as the ``WorkerPool``: one job at a time per actor, every message of a job
reaches the handler in the order the block said it, requests (``run_block``,
``query_block``, ``query_downstream``) are answered by the handler, the timeout is
``Executor.run``'s. What differs:

* placement: actors are grouped by the resources their jobs declare
  (``executor.options.resources``: ``num_cpus``, ``num_gpus``, ``memory``, ``resources``),
  and a ``spawn`` block's node gets one actor of its own; Ray decides where each actor
  lives. A job waits for an idle actor of its group, preferring one that holds its
  inputs; a group grows up to ``max_actors``. An actor Ray cannot place yet (the cluster
  is full) joins when it can; jobs meanwhile take actors that become idle.
* jobs go over a direct channel: once placed, an actor listens on a TCP port of its node
  and the engine connects to it (with a secret token as the first frame), then speaks
  the frames of a local worker's socket (``FrameConnection``, ``process.py``): a job is
  one frame out and its messages come back as they are said, with no Ray call. An
  engine that cannot reach the node's address fails the job saying which host:port.
* values stay in the actor that made them, as in a pool worker (a job there gets the
  identical object); ``value_index.py`` says who holds what. A job on another actor gets
  object refs: a holder puts a value into Ray's object store once, when first asked, and
  the engine hands the refs to the job's actor with a Ray call (``take``) before the job;
  the actor fetches the values itself. The engine ``ray.get``s a value only in ``fetch``.
* faults: an actor whose channel closes fails its job as ``crashed`` with Ray's cause of
  its death and is dropped (the next job gets a new actor); a cancelled or timed-out job
  kills its actor. ``close`` kills every actor, and shuts down the Ray runtime if this
  executor started it.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from ..errors import UsageError
from ..states import OutcomeStatus
from ..wire import names
from ..wire.frames import header
from ..wire.values import carried, var_keys
from .base import Job, JobHandler, Outcome, injection_gone, unsupported
from .lifecycle import Adapter, Link, Run, start_task
from .process import FrameConnection
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
    text = str(exc).strip()
    return text or type(exc).__name__


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
        self.address = ""
        """host:port of its channel, once open."""

    async def connect(self, host: str, port: int, token: bytes) -> None:
        self.address = f"{host}:{port}"
        try:
            sock = await asyncio.wait_for(asyncio.to_thread(
                socket.create_connection, (host, port), _CONNECT_WAIT), _CONNECT_WAIT + 1)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(header(len(token)) + token)
        except (OSError, asyncio.TimeoutError) as exc:
            raise WorkerLost(f"cannot connect to the channel of the Ray actor at "
                             f"{self.address} ({cause(exc)}): the engine must reach the "
                             "addresses of the Ray nodes") from None
        sock.setblocking(False)
        if not self.alive:
            sock.close()
            return
        self._sock = sock
        self.loop.add_reader(sock.fileno(), self.read)

    def _dispatch(self, message: dict[str, Any]) -> None:
        self.executor.runs.route(self, message)

    def _ended(self) -> None:
        self.close()
        if self.alive:
            start_task(self.executor._lost(self), self.executor._spawning)

    def kill(self) -> None:
        self.executor._kill(self)

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            self.loop.remove_reader(sock.fileno())
            self.loop.remove_writer(sock.fileno())
            sock.close()
        self._pending.clear()


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
        self._actors: list[_Actor] = []
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
        for actor in list(self._actors):
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
        by_actor, _ = self.values.forget(keys)
        for actor, held in by_actor.items():
            actor.send({"type": names.FREE, "keys": held})

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

    async def _hand(self, actor: _Actor, message: dict[str, Any], values: Iterable[Any]
                    ) -> None:
        """Send ``message`` over ``actor``'s channel, after handing the actor object refs
        of the var values among ``values`` it does not hold (it holds them from now on)."""
        missing = self.values.missing_on(actor, var_keys(values))
        if missing:  # the usual case: nothing to ask anyone
            refs = await self._export(missing, actor)
            self.values.copied(actor, refs)
            if refs:
                await actor.handle.take.remote(refs)
                message["blobs"] = list(refs)
        actor.send(message)

    # -- jobs ---------------------------------------------------------------------------

    async def _run(self, job: Job, handler: JobHandler) -> Outcome:
        handler.on_start(False)
        if self._closing:
            return Outcome(OutcomeStatus.CANCELLED, error=self._closed)
        if job.spec.executor != "python":
            return unsupported(job, "the Ray executor runs python")
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
            await self._hand(actor, {"type": names.RUN, "job": job.wire()},
                             job.inputs.values())
            return await run.future
        except asyncio.CancelledError:
            await self.runs.cancel(run, lambda: self._kill(actor))
            raise
        except Exception as exc:  # the actor died as the engine spoke to it
            await self._lost(actor, exc)
            return run.future.result()

    async def _lost(self, actor: _Actor, exc: BaseException | None = None) -> None:
        """``actor``'s channel closed (or a call to it failed): its job ends ``crashed``
        with Ray's cause of its death, and it is dropped."""
        if exc is None:
            try:  # a dead actor's call fails with the cause; a live one's answers
                await asyncio.wait_for(asyncio.ensure_future(
                    actor.handle.export.remote([])), _CAUSE_WAIT)
            except Exception as error:
                exc = error
        nodes = ", ".join(repr(r.job.node_id) for r in self.runs.on(actor))
        why = cause(exc) if exc is not None else "its channel closed"
        self.runs.crash(actor, f"the Ray actor running node {nodes} died: {why}")
        self.drop(actor)

    # -- the lifecycle's questions (``lifecycle.Adapter``) -------------------------------

    def link(self, actor: _Actor, run: Run, message: dict[str, Any]) -> _Link:
        return _Link(self, actor, message.get("request_id"))

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
            best = max(group.idle, key=lambda a: self.values.count_held(a, keys))
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
        self._actors.append(actor)
        token = secrets.token_bytes(32)
        ready = asyncio.ensure_future(actor.handle.open_channel.remote(token))
        try:
            while not (await asyncio.wait({ready}, timeout=_PLACEMENT_PATIENCE))[0]:
                if group.options:  # declared resources Ray may lack: free what idles
                    self._evict_one(group)
            where = ready.result()
            await actor.connect(where["host"], where["port"], token)
        except asyncio.CancelledError:
            ready.cancel()
            self._kill(actor)
            with contextlib.suppress(BaseException):
                await ready  # let the wait for Ray's answer end before the loop closes
            raise
        except Exception as exc:
            self.drop(actor)
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
        actor.close()
        self.runs.crash(actor, actor.protocol_error or "the Ray actor was stopped")
        group = actor.group
        group.count -= 1
        with contextlib.suppress(ValueError):
            group.idle.remove(actor)
        with contextlib.suppress(ValueError):
            self._actors.remove(actor)
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


class _Link(Link):
    """A request of a job on an actor: the events of a ``RunBlock``'s job go to the actor
    in order, each after the object refs of values it does not hold yet; then the
    response."""

    def __init__(self, executor: RayExecutor, actor: _Actor, request_id: Any):
        super().__init__(actor, request_id)
        self.executor = executor
        self.tail: asyncio.Task[None] | None = None

    def emit(self, event: dict[str, Any]) -> None:
        self.tail = asyncio.get_running_loop().create_task(self._send(self.tail, event))

    async def _send(self, before: asyncio.Task[None] | None, event: dict[str, Any]) -> None:
        if before is not None:
            with contextlib.suppress(Exception):
                await before
        await self.executor._hand(self.worker, {
            "type": names.RUN_BLOCK_EVENT, "request_id": self.request_id, "event": event},
            carried(event))

    async def reply(self, message: dict[str, Any]) -> None:
        if self.tail is not None:
            with contextlib.suppress(Exception):
                await self.tail
        self.worker.send(message)
