"""File-descriptor output of a worker that has held a secret, read back and masked.

Normally a block's C-level writes to fd 1/2 (``os.write``, a subprocess, a C extension)
go straight to the engine through the worker's pipes, where no one knows the job's
secrets. Once a job receives a secret, the worker points fd 1 and 2 at pipes of its own
and a thread per pipe turns what arrives into ``BlockLog`` lines, masked like every other
message. It stays so for the life of the worker (a leftover subprocess may still print).
The cost: what the interpreter itself writes to fd 2 while dying is lost with the worker.
"""

from __future__ import annotations

import codecs
import fcntl
import os
import select
import struct
import termios
import threading
import time

TYPE_CHECKING = False  # typing costs a fresh worker milliseconds: annotations only
if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["install", "installed", "original", "drain"]

_IDLE = 0.05  # seconds after which a line without its newline is sent as it is
_LONG_LINE = 1 << 16

_pumps: list[_Pump] = []
_saved: dict[int, int] = {}


class _Pump(threading.Thread):
    def __init__(self, fd: int, stdio: str, emit: Callable[[str, str], None]):
        super().__init__(name=f"oocana-{stdio}", daemon=True)
        self.fd = fd
        self.stdio = stdio
        self.emit = emit
        self.busy = False
        self.lock = threading.Lock()
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._partial = ""

    def run(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self.fd], [], [], _IDLE)
            except InterruptedError:
                continue
            if not ready:
                self.flush_partial()
                continue
            self.busy = True
            try:
                data = os.read(self.fd, 1 << 16)
                if not data:
                    self.flush_partial()
                    return
                with self.lock:
                    text = self._partial + self._decoder.decode(data)
                    *lines, self._partial = text.split("\n")
                    if len(self._partial) >= _LONG_LINE:
                        lines.append(self._partial)
                        self._partial = ""
                    for line in lines:
                        self.emit(line, self.stdio)
            finally:
                self.busy = False

    def flush_partial(self) -> None:
        with self.lock:
            if self._partial:
                line, self._partial = self._partial, ""
                self.emit(line, self.stdio)

    def unread(self) -> int:
        buf = fcntl.ioctl(self.fd, termios.FIONREAD, b"\0\0\0\0")
        return int(struct.unpack("i", buf)[0])


def installed() -> bool:
    return bool(_pumps)


def install(emit: Callable[[str, str], None]) -> None:
    """Route fd 1 and 2 through pipes whose lines go to ``emit(line, stdio)``."""
    if _pumps:
        return
    for fd, stdio in ((1, "stdout"), (2, "stderr")):
        saved = os.dup(fd)
        read_end, write_end = os.pipe()
        os.dup2(write_end, fd)  # inheritable: subprocesses write into the pipe too
        os.close(write_end)
        _saved[fd] = saved
        pump = _Pump(read_end, stdio, emit)
        _pumps.append(pump)
        pump.start()


def original(fd: int) -> int:
    """The descriptor that reaches the engine directly (``fd`` itself when not installed)."""
    return _saved.get(fd, fd)


def drain(timeout: float = 0.5) -> None:
    """Send what was written to fd 1/2 so far (called right before a job finishes)."""
    deadline = time.monotonic() + timeout
    for pump in _pumps:
        while time.monotonic() < deadline and (pump.busy or pump.unread() > 0):
            time.sleep(0.001)
        pump.flush_partial()
