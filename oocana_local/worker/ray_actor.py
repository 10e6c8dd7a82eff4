"""``BlockActor``: a warm Python worker as a Ray actor (the code that runs on a Ray node).

Ray places the actor; its jobs then travel over a direct channel, not as Ray calls (a Ray
actor call costs more than a trivial job). ``open_channel(token)`` listens on a TCP port
of the node's address and says where; the engine connects and its first frame is the
token, raw bytes checked before anything is unpickled. A connection that does not start
with it is closed without an answer, and only the first that does is served. Over the
channel the actor speaks as a local worker does over its socket (``wire/frames.py``,
``worker/channel.py``): the engine sends ``run`` jobs, ``response``s and
``run_block_event``s, and every message a job says goes back as it is said.

Jobs run one at a time on the actor's job thread, with the worker's own job code
(``worker/job.py`` ``JobRunner``, the same ``capture`` and ``hooks``), so module imports
are paid once per actor; the channel's reader answers the rest while a job runs.

Values stay in this actor's ``ValueStore``, as in a local worker: a job of this actor
gets the identical object. Only when a job on another actor (or the engine) needs one
does ``export`` put it into Ray's object store. The engine hands the object refs to the
actor that needs them with ``take``, a Ray call (refs pickled over a plain socket would
pin their objects for good), and then sends the job or event naming them: it fetches the
values itself, so a value never travels through the engine.

The module imports ``ray`` only inside the actor (and the executor only when asked for
Ray), so the rest of the engine does not need it installed.
"""

from __future__ import annotations

import hmac
import os
import socket
import sys
import threading
from collections.abc import Callable
from queue import SimpleQueue
from typing import Any

from ..context import ValueStore
from ..wire import names
from ..wire.frames import header
from . import capture, hooks, loader
from .channel import Channel
from .job import JobRunner, user_traceback
from .sink import SocketSink

__all__ = ["BlockActor", "actor_class"]

_GREETING_WAIT = 5.0  # seconds a new connection has to send the token
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def actor_class(ray: Any) -> Callable[[dict[str, Any]], Any]:
    """How the engine starts a ``BlockActor`` with the resource options of its group: a
    few threads (``take``, ``export`` answer while a job runs), no restart (its values
    die with it), and this package importable wherever Ray places it."""
    remote = ray.remote(BlockActor)
    pythonpath = os.pathsep.join([_ROOT, *filter(None, [os.environ.get("PYTHONPATH")])])

    def start(options: dict[str, Any]) -> Any:
        return remote.options(max_concurrency=4, max_restarts=0, **options,
                              runtime_env={"env_vars": {"PYTHONPATH": pythonpath}}
                              ).remote([_ROOT])

    return start


def _put(value: Any) -> Any:
    import ray

    return ray.put(value)


def _get(ref: Any) -> Any:
    import ray

    return ray.get(ref)


def _greeted(conn: socket.socket, token: bytes) -> bool:
    """Whether the first frame on ``conn`` is ``token`` (read raw: nothing unpickled)."""
    expected = header(len(token)) + token
    conn.settimeout(_GREETING_WAIT)
    try:
        got = conn.recv(len(expected), socket.MSG_WAITALL)
    except OSError:
        return False
    return hmac.compare_digest(got, expected)


class BlockActor:
    """One warm worker. Ray runs its methods on a few threads (``max_concurrency``); jobs
    come over the channel ``open_channel`` opens."""

    def __init__(self, pythonpath: list[str] | None = None) -> None:
        for entry in reversed(pythonpath or []):
            if entry not in sys.path:
                sys.path.insert(0, entry)
        self.store = ValueStore(dump=_put, load=_get)
        self.taken: dict[str, Any] = {}
        """Object refs ``take`` received, until the job or event naming them arrives."""
        self.channel: Channel | None = None
        self.jobs: SimpleQueue[dict[str, Any]] = SimpleQueue()
        shim = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                            "_shim")
        if shim not in sys.path:
            sys.path.insert(0, shim)  # `from oocana import Context` resolves to ours
        loader.install_finder()
        hooks.install()

    def open_channel(self, token: bytes) -> dict[str, Any]:
        """Listen for the engine's connection (answered once the actor was placed)."""
        import ray

        listener = socket.create_server((ray.util.get_node_ip_address(), 0))
        threading.Thread(target=self._accept, args=(listener, token), daemon=True,
                         name="oocana-channel").start()
        host, port = listener.getsockname()[:2]
        return {"host": host, "port": port}

    def _accept(self, listener: socket.socket, token: bytes) -> None:
        while True:
            conn, _ = listener.accept()
            if not _greeted(conn, token) or self.channel is not None:
                conn.close()
                continue
            conn.settimeout(None)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.channel = Channel(conn.detach())
            self.sink = SocketSink(self.channel)
            self.runner = JobRunner(self.sink, self.store)
            capture.install(self.channel)
            threading.Thread(target=self._read, daemon=True, name="oocana-reader").start()
            threading.Thread(target=self._run_jobs, daemon=True, name="oocana-jobs").start()

    def _read(self) -> None:
        assert self.channel is not None
        # Until the engine closes it (and kills this actor).
        self.channel.each(self._handle, capture.emit)

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if "blobs" in message:  # keys of refs ``take`` received: now the refs
            message["blobs"] = {k: self.taken.pop(k) for k in message["blobs"]
                                if k in self.taken}
        if kind == names.RUN:
            message["job"]["blobs"] = message.get("blobs")
            self.jobs.put(message["job"])
        elif kind == names.RESPONSE:
            self.sink.deliver_response(message)
        elif kind == names.RUN_BLOCK_EVENT:
            self.sink.deliver_event(message)
        elif kind == names.FREE:
            keys = message.get("keys") or []
            self.store.free(keys)
            for key in keys:  # refs taken for a job that never ran
                self.taken.pop(key, None)

    def _run_jobs(self) -> None:
        while True:
            job = self.jobs.get()
            try:
                self.runner.run(job)
            except BaseException as exc:  # a bug of ours: still end the job
                self.sink.send({"type": names.BLOCK_FINISHED, "job_id": job.get("job_id"),
                                "error": "oocana-local worker failed:\n"
                                         + user_traceback(exc)})

    def take(self, refs: dict[str, Any]) -> None:
        """Object refs of values other actors made, for the job or event that follows."""
        self.taken.update(refs)

    def export(self, keys: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
        """Object refs of held values (put into the object store now), and why not for
        the rest."""
        return self.store.export(keys)
