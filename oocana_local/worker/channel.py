"""The worker's end of the wire: frames of ``wire/frames.py`` over the inherited socket fd.

Raw ``os.read``/``os.writev`` on the descriptor: no socket object, no asyncio. Sends come
from any thread (the block's own threads print too), so they are serialised by a lock.
"""

from __future__ import annotations

import os
import threading

from ..wire import names, packed
from ..wire.frames import CHUNK as _CHUNK
from ..wire.frames import check_size, dumps, header, loads
from ..wire.packed import THRESHOLD, pack_message
from ..wire.values import SECRET_PLACEHOLDER

TYPE_CHECKING = False  # typing costs a fresh worker milliseconds: annotations only
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from ..redact import Redactor

__all__ = ["Channel", "masked"]

_PLACEHOLDER = SECRET_PLACEHOLDER.encode()

# What a block says, field by field, masked on its way out once a job held a secret.
# Outputs and results travel unmasked (a downstream block needs the value; the engine
# masks every record of them), and so do run_block requests and value exports.
_SAID = {
    names.BLOCK_LOG: ("log",),
    names.BLOCK_LOG_JSON: ("json",),
    names.BLOCK_WARNING: ("warning",),
    names.BLOCK_ERROR: ("error",),
    names.BLOCK_MESSAGE: ("payload",),
    names.BLOCK_PREVIEW: ("payload",),
    names.BLOCK_FINISHED: ("error",),
}


def masked(message: dict[str, Any], redactor: Redactor) -> dict[str, Any]:
    """``message`` with what a block said (``_SAID``) masked by ``redactor``."""
    fields = _SAID.get(message.get("type"))  # type: ignore[arg-type]
    if not fields:
        return message
    out = message
    for name in fields:
        if name in message:
            value = redactor.value(message[name])
            if value is not message[name]:
                if out is message:
                    out = dict(message)
                out[name] = value
    return out

class Channel:
    def __init__(self, fd: int):
        self.fd = fd
        self._buffer = bytearray()
        self._chunk = memoryview(bytearray(_CHUNK))  # reads land here (see FrameReader)
        self._send_lock = threading.Lock()
        self.redactor: Redactor | None = None
        """Set once a job held a secret: what a block says is masked from then on."""
        packed.keeping = True  # pickles made while checking outputs are sent as they are
        # A block may fork (multiprocessing): the child must not inherit a held lock.
        os.register_at_fork(after_in_child=self._renew_lock)

    def _renew_lock(self) -> None:
        self._send_lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> None:
        if self.redactor:
            message = masked(message, self.redactor)
        payload = dumps(pack_message(message), 5)
        head = header(check_size(len(payload)))  # too big: the block's call raises
        with self._send_lock:
            try:
                sent = os.writev(self.fd, (head, payload))
                if sent < len(head) + len(payload):
                    self._send_rest(memoryview(head + payload)[sent:])
            except (BrokenPipeError, ConnectionResetError):
                os._exit(0)  # the engine is gone; nobody is left to report to

    def _send_rest(self, view: memoryview) -> None:
        while view:
            view = view[os.write(self.fd, view):]

    def _fill(self, size: int) -> bool:
        """Read until the buffer holds ``size`` bytes; False at end of stream."""
        buffer, chunk = self._buffer, self._chunk
        while len(buffer) < size:
            got = os.readv(self.fd, (chunk,))
            if not got:
                return False
            buffer += chunk[:got]
        return True

    def _read_big(self, size: int) -> bytearray | None:
        """A large frame is read straight into a buffer of its size."""
        data = bytearray(size)
        have = len(self._buffer)
        data[:have] = self._buffer
        self._buffer.clear()
        view = memoryview(data)
        while have < size:
            n = os.readv(self.fd, (view[have:],))
            if not n:
                return None
            have += n
        view.release()
        return data

    def each(self, handle: Callable[[dict[str, Any]], None],
             emit: Callable[[str, str], None]) -> None:
        """Hand every message the engine sends to ``handle`` until its end closes (or
        sends what is not a frame of ours: it cannot be trusted further). A message
        ``handle`` fails on is reported on stderr (``emit(line, "stderr")``), and the next
        ones still go to it."""
        while True:
            try:
                message = self.recv()
            except Exception:
                return
            if message is None:
                return
            try:
                handle(message)
            except Exception as exc:
                emit(f"oocana-local worker: cannot handle {message.get('type')!r}: {exc!r}",
                     "stderr")

    def recv(self) -> dict[str, Any] | None:
        """The next message, or None when the engine closed its end."""
        if not self._fill(4):
            return None
        size = check_size(int.from_bytes(self._buffer[:4], "big"))
        del self._buffer[:4]
        if size > _CHUNK and len(self._buffer) < size:
            data = self._read_big(size)
            if data is None:
                return None
        else:
            if not self._fill(size):
                return None
            data = self._buffer[:size]
            del self._buffer[:size]
        message = loads(data)
        if size >= THRESHOLD and message.get("type") == names.RUN \
                and _PLACEHOLDER not in data:
            # A pickle holds each string as its UTF-8 bytes: no placeholder in the frame is
            # none in the inputs, known without a walk over a big value.
            message["job"]["placeholder_free"] = True
        return message
