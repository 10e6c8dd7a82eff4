"""``BlockActor``: a warm Python worker as a Ray actor (the code that runs on a Ray node).

The actor runs jobs through the worker's own code (``worker/job.py`` ``JobRunner``, the
same ``capture`` and ``hooks``), one job at a time, so module imports are paid once per
actor. ``run`` runs the job on the thread Ray calls it on and returns what the job said
that nobody polled yet: a quick job costs one remote call. Instead of a socket, the
worker's channel is a queue that the engine drains with ``poll`` while a longer job runs
(a long poll: it returns as soon as something was said, or the job ended). Requests a
block makes (``run_block``, ``query_block``) wait for ``deliver``.

Values stay in this actor's ``ValueStore``, as in a local worker: a job of this actor
gets the identical object. Only when a job on another actor (or the engine) needs one
does ``export`` put it into Ray's object store; that job receives the object refs as its
``blobs`` and fetches the values itself, so a value never travels through the engine.

The module imports ``ray`` only inside the actor (and the executor only when asked for
Ray), so the rest of the engine does not need it installed.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from ..context import ValueStore
from ..wire import names
from . import capture, hooks, loader
from .channel import masked
from .job import JobRunner, user_traceback
from .sink import SocketSink

__all__ = ["BlockActor", "QueueChannel", "actor_class"]

_DRAIN_SECONDS = 2.0  # how long os._exit waits for the engine to take what was said
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def actor_class(ray: Any) -> Callable[[dict[str, Any]], Any]:
    """How the engine starts a ``BlockActor`` with the resource options of its group: a
    few threads (``poll``, ``deliver``, ``export`` answer while ``run`` runs), no restart
    (its values die with it), and this package importable wherever Ray places it."""
    remote = ray.remote(BlockActor)
    pythonpath = os.pathsep.join([_ROOT, *filter(None, [os.environ.get("PYTHONPATH")])])

    def start(options: dict[str, Any]) -> Any:
        return remote.options(max_concurrency=8, max_restarts=0, **options,
                              runtime_env={"env_vars": {"PYTHONPATH": pythonpath}}
                              ).remote([_ROOT])

    return start


def _put(value: Any) -> Any:
    import ray

    return ray.put(value)


def _get(ref: Any) -> Any:
    import ray

    return ray.get(ref)


class QueueChannel:
    """The worker's channel (``worker/channel.py``'s ``send``) as an in-memory queue."""

    def __init__(self) -> None:
        self.redactor: Any = None
        self.running = False
        self._messages: list[dict[str, Any]] = []
        self._ready = threading.Condition()
        self._polling = False  # a poll waits: the engine got every batch taken before

    def send(self, message: dict[str, Any]) -> None:
        if self.redactor:
            message = masked(message, self.redactor)
        with self._ready:
            self._messages.append(message)
            self._ready.notify_all()

    def drain(self, timeout: float) -> None:
        """Wait until the engine received every message (before the process exits): a
        batch is received once the engine polls again."""
        with self._ready:
            self._ready.wait_for(lambda: not self._messages and self._polling, timeout)

    def poll(self, timeout: float) -> list[dict[str, Any]]:
        """What the running job said so far; waits up to ``timeout`` for a first message.
        Once the job ended it takes nothing: what a thread the job left behind says goes
        with the next job's answer, after this job's end."""
        with self._ready:
            if self.running and not self._messages:
                self._polling = True
                self._ready.notify_all()
                self._ready.wait_for(lambda: self._messages or not self.running, timeout)
                self._polling = False
            return self._take() if self.running else []

    def end(self) -> list[dict[str, Any]]:
        """The job ended: what it said that no poll took (a waiting poll returns)."""
        with self._ready:
            self.running = False
            return self._take()

    def _take(self) -> list[dict[str, Any]]:
        taken, self._messages = self._messages, []
        self._ready.notify_all()
        return taken


class BlockActor:
    """One warm worker. Ray runs its methods on a few threads (``max_concurrency``): while
    ``run`` runs a job, ``poll`` / ``deliver`` / ``export`` / ``free`` answer."""

    def __init__(self, pythonpath: list[str] | None = None) -> None:
        for entry in reversed(pythonpath or []):
            if entry not in sys.path:
                sys.path.insert(0, entry)
        self.channel = QueueChannel()
        self.store = ValueStore(dump=_put, load=_get)
        self.sink = SocketSink(self.channel)  # type: ignore[arg-type]
        self.runner = JobRunner(self.sink, self.store)
        shim = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                            "_shim")
        if shim not in sys.path:
            sys.path.insert(0, shim)  # `from oocana import Context` resolves to ours
        loader.install_finder()
        hooks.install()
        capture.install(self.channel)  # type: ignore[arg-type]
        _exit = os._exit

        def exit_after_drain(code: int) -> None:
            # A block that calls os._exit said something first: let the engine take it.
            capture.flush()
            self.channel.drain(_DRAIN_SECONDS)
            _exit(code)

        os._exit = exit_after_drain  # type: ignore[assignment]

    def ready(self) -> dict[str, Any]:
        """Where the actor runs (answered once it was placed)."""
        import socket

        return {"pid": os.getpid(), "host": socket.gethostname()}

    def run(self, job: dict[str, Any]) -> list[dict[str, Any]]:
        """Run a job to its end; the messages it said that ``poll`` did not take, in order
        (its ``blobs`` are object refs of values other actors made)."""
        self.channel.running = True
        try:
            self.runner.run(job)
        except BaseException as exc:  # a bug of ours: still end the job
            self.channel.send({"type": names.BLOCK_FINISHED, "job_id": job.get("job_id"),
                               "error": "oocana-local worker failed:\n" + user_traceback(exc)})
        return self.channel.end()

    def poll(self, timeout: float = 1.0) -> list[dict[str, Any]]:
        """The messages the running job said since the last poll, in order."""
        return self.channel.poll(timeout)

    def deliver(self, message: dict[str, Any]) -> None:
        """A ``response`` to a request, or a ``run_block_event`` (with ``blobs``: object
        refs of values it names that this actor does not hold)."""
        if message.get("type") == names.RESPONSE:
            self.sink.deliver_response(message)
        else:
            self.sink.deliver_event(message)

    def export(self, keys: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
        """Object refs of held values (put into the object store now), and why not for
        the rest."""
        return self.store.export(keys)

    def free(self, keys: list[str]) -> None:
        self.store.free(keys)
