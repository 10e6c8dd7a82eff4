"""One worker subprocess as the engine sees it: spawn, frames in and out, kill, reap.

Everything runs on the engine's event loop without blocking it: the socket and the
worker's stdout/stderr pipes are non-blocking and read by ``loop.add_reader``; exit is
noticed through a pidfd (Linux) or, elsewhere, by polling once the socket closed.
What messages mean is decided by the job lifecycle (``lifecycle.py``); this class only
moves them.
"""

from __future__ import annotations

import asyncio
import codecs
import itertools
import os
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from ..errors import WorkerError
from ..wire import names
from ..wire.connection import FrameConnection
from .prelaunch import Launched, kill_group, launch, worker_command

__all__ = ["WorkerProcess", "describe_exit", "worker_command"]

_STDERR_TAIL = 40


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        number = -returncode
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        return f"worker process was killed by signal {name} ({number})"
    return f"worker process died with exit code {returncode}"


class WorkerProcess(FrameConnection):
    """A live worker. ``ready`` resolves on its ``ready`` message, ``exited`` with its
    return code once it is reaped."""

    _ids = itertools.count(1)

    def __init__(self, loop: asyncio.AbstractEventLoop, *, env: dict[str, str],
                 on_message: Callable[[WorkerProcess, dict[str, Any]], None],
                 on_output: Callable[[WorkerProcess, str, str], None],
                 on_exit: Callable[[WorkerProcess, int], None],
                 spawn_key: str | None = None):
        super().__init__(loop)
        self.id = next(self._ids)
        self.spawn_key = spawn_key
        self._env = env
        self._on_message = on_message
        self._on_output = on_output
        self._on_exit = on_exit
        self.ready: asyncio.Future[None] = loop.create_future()
        self.exited: asyncio.Future[int] = loop.create_future()
        self.pid = 0
        self.returncode: int | None = None
        self.started_at = 0.0
        self.ready_at = 0.0
        self.stderr_tail: deque[str] = deque(maxlen=_STDERR_TAIL)
        self.idle_timer: asyncio.TimerHandle | None = None  # its pool's (``processes.py``)
        self._exports: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._export_ids = itertools.count(1)
        self._popen: subprocess.Popen[bytes] | None = None
        self._pidfd = -1
        self._pipes: dict[int, tuple[str, Any, list[str]]] = {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} #{self.id} pid={self.pid}>"

    @property
    def alive(self) -> bool:
        return self.returncode is None and self._popen is not None

    @property
    def is_ready(self) -> bool:
        return self.ready.done() and not self.ready.cancelled() and \
            self.ready.exception() is None

    @property
    def startup_seconds(self) -> float:
        """Spawn to ``ready``."""
        return self.ready_at - self.started_at

    # -- spawn ----------------------------------------------------------------------------

    def command(self, fd: int) -> list[str]:
        """The worker's command line, given the socket's descriptor (subclasses differ)."""
        return worker_command(fd)

    def spawn(self, launched: Launched | None = None) -> None:
        """Start the process (or adopt ``launched``, started before the event loop) and
        read from it on the loop."""
        if launched is None:
            launched = launch(self._env, self.command)
        self.started_at = launched.started_at
        self._popen = launched.popen
        self.pid = self._popen.pid
        self.attach(launched.sock)
        loop = self.loop
        for stream, stdio in ((self._popen.stdout, "stdout"), (self._popen.stderr, "stderr")):
            assert stream is not None
            fd = stream.fileno()
            os.set_blocking(fd, False)
            decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
            self._pipes[fd] = (stdio, decoder, [])
            loop.add_reader(fd, self._on_pipe, fd)
        try:
            self._pidfd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):  # not Linux: notice the exit by polling
            self._pidfd = -1
        else:
            loop.add_reader(self._pidfd, self._reap)

    # -- messages in ------------------------------------------------------------------------

    def _ended(self) -> None:
        if self._pidfd < 0:  # no pidfd tells of the exit: poll for it
            self._reap()

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == names.READY:
            self.ready_at = time.perf_counter()
            if not self.ready.done():
                self.ready.set_result(None)
        elif kind == names.EXPORTED:
            future = self._exports.pop(message.get("request_id"), None)  # type: ignore[arg-type]
            if future is not None and not future.done():
                future.set_result(message)
        else:
            try:
                self._on_message(self, message)
            except Exception as exc:  # a bug must not drop the rest of the stream
                self.loop.call_exception_handler({
                    "message": f"oocana-local: handling {kind!r} from {self!r} failed",
                    "exception": exc})

    def _on_pipe(self, fd: int, final: bool = False) -> bool:
        """Read once from a pipe; False when nothing more is there for now. A last line
        without its newline is passed on at the pipe's end, or now if ``final``."""
        try:
            data: bytes | None = os.read(fd, 1 << 16)
        except (BlockingIOError, InterruptedError):
            data = None
        except OSError:
            data = b""
        stdio, decoder, partial = self._pipes[fd]
        if data:
            text = decoder.decode(data)
            partial.append(text)
            if "\n" in text:
                *lines, rest = "".join(partial).split("\n")
                partial.clear()
                if rest:
                    partial.append(rest)
                for line in lines:
                    self._line(stdio, line)
            return True
        if data is not None:
            self.loop.remove_reader(fd)
        if partial and (final or data is not None):
            self._line(stdio, "".join(partial))
            partial.clear()
        return False

    def _line(self, stdio: str, line: str) -> None:
        if stdio == "stderr":
            self.stderr_tail.append(line)
        self._on_output(self, line, stdio)

    async def export(self, keys: list[str], *, keep: bool = False) -> dict[str, Any]:
        """Pickled copies of values this worker holds: the ``exported`` message. ``keep``:
        the copies may be loaded several times (their shared-memory files stay)."""
        request_id = next(self._export_ids)
        future = self.loop.create_future()
        self._exports[request_id] = future
        if not self.send({"type": names.EXPORT, "request_id": request_id, "keys": keys,
                          "keep": keep}):
            self._exports.pop(request_id, None)
            raise WorkerError(f"{self!r} is gone")
        return await future

    # -- the end ----------------------------------------------------------------------------

    def kill(self) -> None:
        """SIGKILL the worker and everything it started (its own process group)."""
        if self.returncode is not None or not self.pid:
            return
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        except PermissionError:
            os.kill(self.pid, signal.SIGKILL)
        if self._pidfd < 0:
            self._reap()

    def shutdown(self) -> None:
        """Ask the worker to exit; killed if it has not within a second."""
        if not self.send({"type": names.SHUTDOWN}):
            self.kill()
            return
        self.loop.call_later(1.0, self.kill)

    def _reap(self) -> None:
        if self.returncode is not None or self._popen is None:
            return
        returncode = self._popen.poll()
        if returncode is None:  # woken early, or polling without a pidfd: look again soon
            self.loop.call_later(0.005, self._reap)
            return
        self.read(drain=True)
        for fd in list(self._pipes):  # the last words, e.g. a faulthandler traceback
            while self._on_pipe(fd, final=True):
                pass
        self.returncode = returncode
        kill_group(self.pid)  # what its blocks started dies with it
        self._close_fds()
        error = WorkerError(describe_exit(returncode))
        for future in self._exports.values():
            if not future.done():
                future.set_exception(error)
        self._exports.clear()
        if not self.ready.done():
            detail = "\n".join(self.stderr_tail)
            self.ready.set_exception(WorkerError(
                f"{describe_exit(returncode)} before it was ready" + (f":\n{detail}" if detail
                                                                       else "")))
            self.ready.exception()  # retrieved: the pool reports it
        if not self.exited.done():
            self.exited.set_result(returncode)
        self._on_exit(self, returncode)

    def _close_fds(self) -> None:
        loop = self.loop
        if self._pidfd >= 0:
            loop.remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = -1
        self.close_socket()
        for fd in list(self._pipes):
            loop.remove_reader(fd)
        self._pipes.clear()
        if self._popen is not None:
            for stream in (self._popen.stdout, self._popen.stderr):
                if stream is not None:
                    stream.close()

