"""Turn what a block prints or logs into ``BlockLog`` messages, one per line.

``sys.stdout`` and ``sys.stderr`` become line-buffering writers and the root logger gets a
handler, so ``print``, direct writes and ``logging`` all land in the block's log, from any
thread. A worker runs one job at a time, so the current job is a process global; output
after a job ended belongs to the job that ran last. A thread that a job starts writes as
that job, even once the job ended or another began (``Thread.start`` carries the job id),
so a block's leftover threads never write into a later job's log (a thread pool's shared
threads excepted: they write as the job running). The calls of a service run at once,
each on a thread of its own (``begin_thread``): what such a thread writes belongs to its
call. C-level writes to fd 1/2 bypass this
and reach the engine through the worker's pipes, until a job holds a secret
(``fd_capture``).
"""

from __future__ import annotations

import codecs
import io
import os
import sys
import threading

from ..redact import Redactor
from ..wire import names
from . import fd_capture

TYPE_CHECKING = False  # typing costs a fresh worker milliseconds: annotations only
if TYPE_CHECKING:
    import logging
    from collections.abc import Callable
    from typing import Any

    from .channel import Channel

__all__ = ["install", "begin", "begin_thread", "flush", "flush_thread", "emit", "LineWriter"]

_LONG_LINE = 1 << 16  # a partial line this long is sent without waiting for its newline

_channel: Channel | None = None
_job_id: str | None = None
_writers: list[LineWriter] = []
_handler: logging.Handler | None = None
_thread = threading.local()  # job_id: the call a service's call thread runs


def emit(line: str, stdio: str, job_id: str | None = None) -> None:
    """Send one line of the current job's output (the channel masks secrets)."""
    job_id = job_id or getattr(_thread, "job_id", None) or _job_id
    channel = _channel
    if job_id is None or channel is None:  # nothing ran yet: keep it visible somewhere
        fd = fd_capture.original(2 if stdio == "stderr" else 1)
        os.write(fd, (line + "\n").encode("utf-8", "replace"))
        return
    channel.send({"type": names.BLOCK_LOG, "job_id": job_id, "log": line, "stdio": stdio})


secrets = Redactor()
"""Every secret value a job of this worker received; kept for the worker's life, since
a block's threads and subprocesses may outlive its job."""


def hide(values: list[str]) -> None:
    """Secret values the current job received: whatever leaves the worker shows ``******``
    instead (each line of a multi-line secret too), fd-level output included."""
    if not values:
        return
    secrets.add(values)
    if _channel is not None:
        _channel.redactor = secrets
        fd_capture.install(emit)


def mask(text: str) -> str:
    return secrets.text(text)


def begin(job_id: str) -> None:
    """From now on output belongs to ``job_id``; undo what a previous block replaced."""
    global _job_id
    flush()  # leftovers of a previous job's threads stay with that job
    _job_id = job_id
    _thread.__dict__.pop("job_id", None)  # this thread runs jobs: it writes as the current one
    if _writers:
        if sys.stdout is not _writers[0]:
            sys.stdout = _writers[0]
        if sys.stderr is not _writers[1]:
            sys.stderr = _writers[1]
    if _handler is not None:
        import logging  # imported already: the handler exists

        root = logging.getLogger()
        if _handler not in root.handlers:
            root.addHandler(_handler)


def begin_thread(job_id: str) -> None:
    """This thread runs ``job_id`` while other jobs run on other threads (service calls):
    what it writes belongs to that job, lines kept apart from the other threads'."""
    _thread.job_id = job_id
    if _writers:
        if sys.stdout is not _writers[0]:
            sys.stdout = _writers[0]
        if sys.stderr is not _writers[1]:
            sys.stderr = _writers[1]


def flush_thread() -> None:
    """Send this thread's job's partial lines (right before its ``BlockFinished``)."""
    job_id = getattr(_thread, "job_id", None)
    if job_id is not None:
        for writer in _writers:
            writer.flush_job(job_id)


def flush() -> None:
    """Send partial lines (called right before ``BlockFinished``)."""
    if fd_capture.installed():
        fd_capture.drain()
    for writer in _writers:
        writer.flush_partial()
        if _job_id is not None:  # what the job's own threads left unfinished
            writer.flush_job(_job_id)


_POOL_THREADS = "concurrent.futures.thread"


def _carry_job(start: Callable[[threading.Thread], None]) -> Callable[[threading.Thread], None]:
    """``Thread.start`` that makes the new thread write as the job that started it."""

    def start_as_job(thread: threading.Thread) -> None:
        job_id = getattr(_thread, "job_id", None) or _job_id
        # A ThreadPoolExecutor's threads (asyncio.to_thread's too) serve whichever job
        # submits work later, and the worker's own threads (``oocana-*``: fd pumps, calls)
        # no job: they write as the job running then.
        target = getattr(thread, "_target", None)
        if job_id is not None and getattr(target, "__module__", None) != _POOL_THREADS \
                and not thread.name.startswith("oocana-"):
            body = thread.run

            def run() -> None:
                _thread.job_id = job_id
                body()

            thread.run = run  # type: ignore[method-assign]
        start(thread)

    start_as_job.carries_job = True  # type: ignore[attr-defined]
    return start_as_job


class _ByteWriter(io.RawIOBase):
    """``sys.stdout.buffer``: bytes written here are decoded into the text writer."""

    def __init__(self, text: LineWriter):
        self._text = text
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._text.write(self._decoder.decode(bytes(data)))
        return len(data)

    def fileno(self) -> int:
        return self._text.fileno()


class LineWriter(io.TextIOBase):
    """A text stream that sends each complete line as a ``BlockLog``."""

    def __init__(self, stdio: str, fd: int):
        self.stdio = stdio
        self._fd = fd
        self._partial: list[str] = []
        self._partial_size = 0
        self._by_job: dict[str, str] = {}  # partial lines of jobs on their own threads
        self._lock = threading.RLock()  # RLock: a signal handler may print mid-write
        self._buffer: _ByteWriter | None = None

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    @property
    def errors(self) -> str:  # type: ignore[override]
        return "replace"

    @property
    def buffer(self) -> _ByteWriter:  # type: ignore[override]
        if self._buffer is None:
            self._buffer = _ByteWriter(self)
        return self._buffer

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        """The real descriptor: subprocesses given ``sys.stdout`` write to the worker's pipe."""
        return self._fd

    def write(self, text: str) -> int:  # type: ignore[override]
        if type(text) is not str:
            if not isinstance(text, str):
                raise TypeError(f"write() argument must be str, not {type(text).__name__}")
            text = str.__str__(text)
        job_id = getattr(_thread, "job_id", None)
        if job_id is not None:
            self._write_job(job_id, text)
            return len(text)
        with self._lock:
            if "\n" not in text:
                if text:
                    self._partial.append(text)
                    self._partial_size += len(text)
                    if self._partial_size >= _LONG_LINE:
                        self.flush_partial()
                return len(text)
            if self._partial:
                self._partial.append(text)
                joined = "".join(self._partial)
                self._partial.clear()
                self._partial_size = 0
            else:
                joined = text
            *lines, rest = joined.split("\n")
            for line in lines:
                emit(line, self.stdio)
            if rest:
                self._partial.append(rest)
                self._partial_size = len(rest)
        return len(text)

    def _write_job(self, job_id: str, text: str) -> None:
        with self._lock:
            joined = self._by_job.pop(job_id, "") + text
            *lines, rest = joined.split("\n")
            if len(rest) >= _LONG_LINE:
                lines.append(rest)
                rest = ""
            if rest:
                self._by_job[job_id] = rest
        for line in lines:
            emit(line, self.stdio, job_id)

    def flush_job(self, job_id: str) -> None:
        if not self._by_job:  # the usual case, twice a job: no lock for nothing
            return
        with self._lock:
            rest = self._by_job.pop(job_id, "")
        if rest:
            emit(rest, self.stdio, job_id)

    def flush_partial(self) -> None:
        if not self._partial:
            return
        with self._lock:
            if self._partial:
                line = "".join(self._partial)
                self._partial.clear()
                self._partial_size = 0
                emit(line, self.stdio)

    def flush(self) -> None:
        """Lines go out as they complete; a partial line waits for its end or the job's."""

    def close(self) -> None:
        """Blocks may close ``sys.stdout``; the worker keeps writing."""
        self.flush_partial()


def _install_logging() -> None:
    global _handler
    import logging

    from ..context.log_lines import line_handler

    _handler = line_handler(emit)
    root = logging.getLogger()
    root.addHandler(_handler)  # also makes a block's logging.basicConfig() a no-op
    root.setLevel(logging.INFO)


class _OnLoggingImport:
    """Steps aside at the first ``import logging`` (a block's or a library's) and installs
    the block-log handler as that import ends, before anything can log: a worker whose
    blocks never log does not pay for importing ``logging`` (~7 ms of its start)."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != "logging":
            return None
        sys.meta_path.remove(self)
        from importlib.util import find_spec

        spec = find_spec(name)
        if spec is not None and spec.loader is not None:
            run = spec.loader.exec_module

            def exec_module(module: Any) -> None:
                run(module)
                _install_logging()

            spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def install(channel: Channel) -> None:
    global _channel
    _channel = channel
    stdout, stderr = LineWriter("stdout", 1), LineWriter("stderr", 2)
    _writers[:] = [stdout, stderr]
    sys.stdout, sys.stderr = stdout, stderr
    if not getattr(threading.Thread.start, "carries_job", False):
        threading.Thread.start = _carry_job(threading.Thread.start)  # type: ignore[method-assign, assignment]
    if "logging" in sys.modules:
        _install_logging()
    else:
        sys.meta_path.insert(0, _OnLoggingImport())
