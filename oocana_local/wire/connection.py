"""``FrameConnection``: the engine's end of a socket that carries frames
(``frames.py``) both ways, on the asyncio event loop without blocking it: a worker
process's socket (``executor/process.py``) and a Ray actor's channel
(``executor/ray_executor.py``).
"""

from __future__ import annotations

import itertools
import socket
from collections import deque
from typing import TYPE_CHECKING, Any

from .frames import FrameError, FrameReader, check_size, dumps, header

if TYPE_CHECKING:
    import asyncio

__all__ = ["FrameConnection"]

_SMALL = 1 << 16
_IOV_MAX = 512  # buffers per sendmsg (the OS allows at least 1024)


class FrameConnection:
    """Frames both ways on a non-blocking socket, on the event loop: each message read
    goes to ``_dispatch``; ``send`` queues frames that leave in order as the socket takes
    them. A worker process's socket, and a Ray actor's channel (``ray_executor.py``)."""

    peer = "the worker process"  # who is at the other end, in errors

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.protocol_error: str | None = None
        self._sock: socket.socket | None = None
        self._reader = FrameReader()
        self._pending: deque[memoryview] = deque()

    def attach(self, sock: socket.socket) -> None:
        """Speak over ``sock``, a connected socket: non-blocking, read on the loop."""
        sock.setblocking(False)
        self._sock = sock
        self.loop.add_reader(sock.fileno(), self.read)

    async def connect(self, host: str, port: int, token: bytes, wait: float) -> None:
        """Connect over TCP to a listener that expects ``token`` first (a Ray actor's
        channel), giving up after ``wait`` seconds; ``OSError`` when it cannot."""
        import asyncio

        sock = await asyncio.to_thread(socket.create_connection, (host, port), wait)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(header(len(token)) + token)
        except OSError:
            sock.close()
            raise
        self.attach(sock)

    def read(self, drain: bool = False) -> None:
        """Handle what the other end sent so far (called when the socket is readable);
        ``drain``: everything it wrote before it died, so that a late BlockFinished counts."""
        while (sock := self._sock) is not None:
            try:
                messages = self._reader.read(sock)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                messages = None
            except FrameError as exc:  # not our protocol: the peer cannot be trusted further
                if drain:
                    return
                self.protocol_error = (f"{self.peer} sent a malformed message "
                                       f"({exc}); it was stopped")
                messages = None
                self.kill()
            if messages is None:
                if not drain:
                    self._stop_reading()
                    self._ended()
                return
            for message in messages:
                self._dispatch(message)
            if not drain:
                return

    def _dispatch(self, message: dict[str, Any]) -> None:
        """One message that arrived (``_ended``: the other end closed; ``kill``: stop it)."""

    def _ended(self) -> None: ...

    def kill(self) -> None: ...

    def _stop_reading(self) -> None:
        if self._sock is not None:
            self.loop.remove_reader(self._sock.fileno())

    def close_socket(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            self.loop.remove_reader(sock.fileno())
            self.loop.remove_writer(sock.fileno())
            sock.close()
        self._pending.clear()

    def send(self, message: dict[str, Any] | bytes) -> bool:
        """Queue a message, or a body ``encode`` made; False if the other end is gone."""
        sock = self._sock
        if sock is None:
            return False
        payload = message if isinstance(message, bytes) else self.encode(message)
        head = header(check_size(len(payload)))  # a value too big for a frame fails its job
        if len(payload) < _SMALL:
            parts = [memoryview(head + payload)]
        else:
            parts = [memoryview(head), memoryview(payload)]
        pending = self._pending
        if pending:  # behind what waits for the socket to take it
            pending.extend(parts)
            return True
        pending.extend(parts)
        if not self._flush():
            return False
        if pending:
            self.loop.add_writer(sock.fileno(), self._on_writable)
        return True

    @staticmethod
    def encode(message: dict[str, Any]) -> bytes:
        """One message's frame body (subclasses speak other encodings)."""
        return dumps(message, 5)

    def _flush(self) -> bool:
        """Send what is pending, as far as the socket takes it; False if the worker is gone."""
        sock, pending = self._sock, self._pending
        while pending and sock is not None:
            try:
                sent = sock.sendmsg(itertools.islice(pending, _IOV_MAX))
            except (BlockingIOError, InterruptedError):
                return True
            except OSError:
                pending.clear()
                return False
            while sent:
                if sent < len(pending[0]):
                    pending[0] = pending[0][sent:]
                    break
                sent -= len(pending.popleft())
        return True

    def _on_writable(self) -> None:
        self._flush()
        if not self._pending and self._sock is not None:
            self.loop.remove_writer(self._sock.fileno())
