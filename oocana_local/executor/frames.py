"""Frames of ``worker/protocol.py`` read from a non-blocking socket into messages.

Small frames are parsed straight out of what ``recv`` returned; a frame larger than
``BIG`` gets a buffer of its own size that ``recv_into`` fills, so a big value is copied
once on its way in.
"""

from __future__ import annotations

import pickle
import socket
from typing import Any

__all__ = ["FrameReader", "CHUNK", "BIG"]

CHUNK = 1 << 18
BIG = 1 << 20


class FrameReader:
    decode = staticmethod(pickle.loads)
    """Frame body -> message (subclasses read other encodings)."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._big: bytearray | None = None
        self._big_view: memoryview | None = None
        self._big_have = 0

    def read(self, sock: socket.socket) -> list[dict[str, Any]] | None:
        """Messages completed by one read; None at end of stream. Raises
        ``BlockingIOError`` when there is nothing to read."""
        if self._big is not None:
            return self._read_big(sock)
        data = sock.recv(CHUNK)
        if not data:
            return None
        if self._buffer:
            self._buffer += data
            source: bytes | bytearray = self._buffer
        else:
            source = data
        messages: list[dict[str, Any]] = []
        end = len(source)
        pos = 0
        with memoryview(source) as view:
            while end - pos >= 4:
                size = int.from_bytes(view[pos:pos + 4], "big")
                stop = pos + 4 + size
                if stop > end:
                    if size > BIG:
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
        n = sock.recv_into(self._big_view[self._big_have:])
        if not n:
            return None
        self._big_have += n
        if self._big_have < len(self._big):
            return []
        self._big_view.release()
        data, self._big, self._big_view = self._big, None, None
        return [self.decode(data)]
