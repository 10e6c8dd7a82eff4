"""``BlockActor``: a warm Python worker as a Ray actor (the code that runs on a Ray node).

The actor runs jobs through the worker's own code (``worker/job.py`` ``JobRunner``, the
same ``capture`` and ``hooks``), one job at a time, so module imports are paid once per
actor. Instead of a socket, the worker's channel is a queue that the engine drains with
``poll`` (a long poll: it returns as soon as something was said, in order). Requests a
block makes (``run_block``, ``query_block``) wait for ``deliver``.

Values: every non-JSON output (and ``oomol/var``) is kept here for jobs of this actor and
put into Ray's object store once; ``poll`` hands the engine the object refs it did not
see yet, and a job on another actor receives them as refs and fetches them itself, so a
value never travels through the engine process.

The module imports ``ray`` only inside the actor (and the executor only when asked for
Ray), so the rest of the engine does not need it installed.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from ..context import ValueStore
from ..wire import names
from . import capture, hooks, loader
from .channel import masked
from .job import JobRunner, user_traceback
from .sink import SocketSink

__all__ = ["BlockActor", "RayValueStore", "QueueChannel"]

_DRAIN_SECONDS = 2.0  # how long os._exit waits for the engine to take what was said
_BATCH = 0.02  # seconds a poll keeps collecting after the first message, unless finished


class RayValueStore(ValueStore):
    """A ``ValueStore`` whose every new value also goes into Ray's object store."""

    def __init__(self) -> None:
        super().__init__()
        self.new_refs: dict[str, Any] = {}
        self._lock = threading.Lock()

    def put(self, value: Any, *, handle: str, job_id: str, session_id: str) -> dict[str, Any]:
        import ray

        ref = super().put(value, handle=handle, job_id=job_id, session_id=session_id)
        object_ref = ray.put(value)
        with self._lock:
            self.new_refs[ref["value"]["key"]] = object_ref
        return ref

    def take_refs(self) -> dict[str, Any]:
        with self._lock:
            refs, self.new_refs = self.new_refs, {}
        return refs

    def adopt(self, refs: dict[str, Any]) -> None:
        """Fetch the values of refs this actor does not hold yet (straight from the
        object store of whichever node has them)."""
        missing = {key: ref for key, ref in refs.items() if key not in self.values}
        if not missing:
            return
        import ray

        fetched = ray.get(list(missing.values()))
        for key, value in zip(missing, fetched, strict=True):
            self.values[key] = value


class QueueChannel:
    """The worker's channel (``worker/channel.py``'s ``send``) as an in-memory queue."""

    def __init__(self) -> None:
        self.redactor: Any = None
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

    def take(self, timeout: float, until: Callable[[list[dict[str, Any]]], bool]
             ) -> list[dict[str, Any]]:
        """What was said so far; waits up to ``timeout`` for a first message, then up to
        ``_BATCH`` more until ``until(messages)``: a quick job is one round trip, and a
        message of a long one waits at most ``_BATCH``."""
        with self._ready:
            if not self._messages:
                self._polling = True
                self._ready.notify_all()
                self._ready.wait(timeout)
                self._polling = False
            if self._messages and not until(self._messages):
                deadline = time.monotonic() + _BATCH
                while not until(self._messages):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._ready.wait(left)
            taken, self._messages = self._messages, []
            self._ready.notify_all()
        return taken


def _finished(messages: list[dict[str, Any]]) -> bool:
    return messages[-1].get("type") == names.BLOCK_FINISHED


class BlockActor:
    """One warm worker. Ray runs its methods on a few threads (``max_concurrency``): the
    job runs on its own thread, so ``poll`` / ``deliver`` / ``free`` answer meanwhile."""

    def __init__(self, pythonpath: list[str] | None = None) -> None:
        for entry in reversed(pythonpath or []):
            if entry not in sys.path:
                sys.path.insert(0, entry)
        self.channel = QueueChannel()
        self.store = RayValueStore()
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
        self._job: threading.Thread | None = None

    def ready(self) -> dict[str, Any]:
        """Where the actor runs (answered once it was placed)."""
        import socket

        return {"pid": os.getpid(), "host": socket.gethostname()}

    def run(self, job: dict[str, Any], refs: dict[str, Any], timeout: float = 1.0
            ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Start a job, then answer as ``poll`` does."""
        thread = threading.Thread(target=self._run, args=(job, refs), daemon=True,
                                  name=f"oocana-job-{job.get('job_id')}")
        self._job = thread
        thread.start()
        return self.poll(timeout)

    def _run(self, job: dict[str, Any], refs: dict[str, Any]) -> None:
        try:
            self.store.adopt(refs)
        except BaseException as exc:
            self.channel.send({"type": names.BLOCK_FINISHED, "job_id": job.get("job_id"),
                               "error": f"an input value could not be fetched from Ray's "
                                        f"object store: {type(exc).__name__}: {exc}"})
            return
        try:
            self.runner.run(job)
        except BaseException as exc:  # a bug of ours: still end the job
            self.channel.send({"type": names.BLOCK_FINISHED, "job_id": job.get("job_id"),
                               "error": "oocana-local worker failed:\n" + user_traceback(exc)})

    def poll(self, timeout: float = 1.0) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The messages said since the last poll, in order, and the object refs of values
        made meanwhile (put into the object store before their message was sent)."""
        messages = self.channel.take(timeout, _finished)
        return messages, self.store.take_refs() if messages else {}

    def deliver(self, message: dict[str, Any], refs: dict[str, Any] | None = None) -> None:
        """A ``response`` to a request, or a ``run_block_event`` (with refs of values it
        names that this actor does not hold)."""
        if message.get("type") == names.RESPONSE:
            self.sink.deliver_response(message)
            return
        if refs:
            self.store.adopt(refs)
        self.sink.deliver_event(message)

    def free(self, keys: list[str]) -> None:
        self.store.free(keys)
