"""Framing of messages on a worker's socket, both directions.

Each frame is a 4-byte big-endian length followed by a pickle (protocol 5) of one
message dict. A length above ``MAX_FRAME`` is refused: whoever sent it is not speaking
this protocol (or is broken), and trusting it would make the reader allocate gigabytes.

``FrameReader`` reads a non-blocking socket on the engine side: small frames are parsed
straight out of what ``recv`` returned; a frame larger than ``CHUNK`` gets a buffer of its
own that ``recv_into`` fills with all there is, so a big value is copied once on its way
in. The worker
reads with blocking ``os.read`` (``worker/channel.py``) and checks the same bound.
"""

from __future__ import annotations

import os
import threading

from . import packed

try:
    from _pickle import dumps, loads
except ImportError:  # not CPython
    from pickle import dumps, loads

TYPE_CHECKING = False  # the worker imports this module: annotations only
if TYPE_CHECKING:
    import socket
    from typing import Any

__all__ = ["MAX_FRAME", "CHUNK", "BIG", "FrameError", "encode", "header", "check_size",
           "check_message", "FrameReader"]

CHUNK = 1 << 18
BIG = 1 << 20


def _max_frame() -> int:
    raw = os.environ.get("OOCANA_LOCAL_MAX_FRAME", "")
    try:
        return max(BIG, int(raw)) if raw else 1 << 30
    except ValueError:
        return 1 << 30


MAX_FRAME = _max_frame()
"""Largest message in bytes (1 GiB; ``$OOCANA_LOCAL_MAX_FRAME``). Larger values travel
in shared memory, not in frames."""


class FrameError(Exception):
    """The other end sent something that is not a frame of this protocol."""


def header(size: int) -> bytes:
    return size.to_bytes(4, "big")


def check_size(size: int) -> int:
    if size > MAX_FRAME:
        raise FrameError(f"a frame of {size} bytes is larger than the limit of {MAX_FRAME} "
                         "bytes ($OOCANA_LOCAL_MAX_FRAME)")
    return size


def encode(message: dict[str, Any]) -> bytes:
    payload = dumps(message, 5)
    return header(check_size(len(payload))) + payload


def check_message(message: Any) -> dict[str, Any]:
    """``message`` if it is one (a dict with a ``type``), else ``FrameError``."""
    if type(message) is not dict or not isinstance(message.get("type"), str):
        raise FrameError(f"a frame holds {type(message).__name__}, not a message")
    return message


def _load(data: Any) -> dict[str, Any]:
    try:
        message = loads(data)
    except Exception as exc:
        raise FrameError(f"a frame could not be read: {type(exc).__name__}: {exc}") from None
    return check_message(message)


_local = threading.local()


def _landing() -> memoryview:
    """Where a read lands: one buffer per thread, kept for good and shared by every
    reader of the thread (a read leaves nothing in it). A fresh CHUNK-sized ``bytes`` per
    read is an mmap, page faults and an mremap every message."""
    try:
        chunk: memoryview = _local.chunk
    except AttributeError:
        chunk = _local.chunk = memoryview(bytearray(CHUNK))
    return chunk


class FrameReader:
    decode = staticmethod(_load)
    """Frame body -> message; ``FrameError`` for anything else (subclasses read other
    encodings)."""

    def __init__(self) -> None:
        packed.recording = True  # only the engine reads with this class
        self._buffer = bytearray()
        self._big: bytearray | None = None
        self._big_view: memoryview | None = None
        self._big_have = 0

    def read(self, sock: socket.socket) -> list[dict[str, Any]] | None:
        """Messages completed by one read; None at end of stream. Raises
        ``BlockingIOError`` when there is nothing to read, ``FrameError`` on garbage."""
        if self._big is not None:
            return self._read_big(sock)
        chunk = _landing()
        got = sock.recv_into(chunk)
        if not got:
            return None
        data = chunk[:got]
        if self._buffer:
            self._buffer += data
            source: memoryview | bytearray = self._buffer
        else:
            source = data
        messages: list[dict[str, Any]] = []
        end = len(source)
        pos = 0
        with memoryview(source) as view:
            while end - pos >= 4:
                size = check_size(int.from_bytes(view[pos:pos + 4], "big"))
                stop = pos + 4 + size
                if stop > end:
                    if size > CHUNK:
                        self._start_big(view[pos + 4:end], size)
                        pos = end
                    break
                messages.append(self.decode(view[pos + 4:stop]))
                pos = stop
            rest = bytes(view[pos:]) if pos < end else b""
        if source is self._buffer:
            self._buffer.clear()
        if rest:
            self._buffer += rest
        return messages

    def _start_big(self, head: memoryview, size: int) -> None:
        self._big = bytearray(size)
        self._big[:len(head)] = head
        self._big_have = len(head)
        self._big_view = memoryview(self._big)

    def _read_big(self, sock: socket.socket) -> list[dict[str, Any]] | None:
        assert self._big is not None and self._big_view is not None
        while self._big_have < len(self._big):  # as much as there is: one wake-up, not one per chunk
            try:
                n = sock.recv_into(self._big_view[self._big_have:])
            except (BlockingIOError, InterruptedError):
                return []
            if not n:
                return None
            self._big_have += n
        self._big_view.release()
        data, self._big, self._big_view = self._big, None, None
        return [self.decode(data)]
