"""Big plain values that cross the engine as the pickle their worker made of them.

A worker sends a large JSON output (a list or dict whose pickle is ``THRESHOLD`` bytes or
more) as ``Packed``: inside its frame, a call of ``unpack`` on the value's own pickle. The
engine's unpickler makes the value of it as before, and remembers which pickle it came
from (``remember``); when that same object is an input of a job for another worker,
``swap`` sends the pickle on instead of pickling the value again. Both kinds of worker read
it: a Python worker's unpickler calls ``unpack``, ``nodejs/pickle.mjs`` knows this one
call. The pickle holds JSON's values only (the workers send nothing else inline), so a Node
worker reads it with JSON's meaning as it reads any frame.

The engine never changes a value it received, so the pickle stays that of the value for
as long as the engine keeps it; what it keeps is bounded (``LIMIT`` bytes of pickles, the
oldest forgotten first) and dropped with ``forget`` when a run ends.
"""

from __future__ import annotations

from . import names

try:
    from _pickle import dumps, loads
except ImportError:  # not CPython
    from pickle import dumps, loads

TYPE_CHECKING = False  # the worker imports this module: annotations only
if TYPE_CHECKING:
    from typing import Any

__all__ = ["THRESHOLD", "LIMIT", "Packed", "unpack", "keep", "pack", "pack_message", "swap",
           "remember", "forget"]

THRESHOLD = 1 << 16
"""A value whose pickle is at least this many bytes travels packed."""
LIMIT = 1 << 26
"""Bytes of pickles the engine keeps for values it may send on."""

_known: dict[int, tuple[Any, bytes]] = {}  # id(value) -> (value, its pickle), oldest first
_size = 0
recording = False
"""Set in the engine (``FrameReader``): ``unpack`` remembers what it made."""


class Packed:
    """A value as its pickle, written into a frame as ``unpack(<pickle>)``."""

    __slots__ = ("data",)

    def __init__(self, data: bytes):
        self.data = data

    def __reduce__(self) -> tuple[Any, tuple[bytes]]:
        return unpack, (self.data,)


def unpack(data: bytes) -> Any:
    """What a packed value becomes when its frame is read."""
    value = loads(data)
    if recording:
        remember(value, data)
    return value


_made: dict[int, tuple[Any, bytes]] = {}  # in a worker: pickles made while converting
keeping = False
"""Set in a worker process (``worker/channel.py``): ``keep`` keeps what it is given."""


def keep(value: Any, data: bytes) -> None:
    """``data`` is the pickle of ``value``, made in a worker while its output was checked:
    ``pack`` uses it rather than pickling the value again."""
    if keeping and len(data) >= THRESHOLD:
        if len(_made) >= 8:  # never sent (a failed job): not kept for long
            _made.clear()
        _made[id(value)] = (value, data)


def pack(value: Any) -> Any:
    """``value``, or a ``Packed`` of it when it is a list or dict with a big pickle."""
    kind = type(value)
    if kind is not list and kind is not dict:
        return value
    made = _made.pop(id(value), None) if _made else None
    if made is not None and made[0] is value:
        return Packed(made[1])
    # Too few items to make a big pickle (9 bytes a float, 16 an entry): not pickled twice.
    if len(value) * (9 if kind is list else 16) < THRESHOLD:
        return value
    data = dumps(value, 5)
    return Packed(data) if len(data) >= THRESHOLD else value


def pack_message(message: dict[str, Any]) -> dict[str, Any]:
    """A worker's message with its big output values packed (a new dict when one is)."""
    kind = message.get("type")
    if kind == names.BLOCK_OUTPUT:
        value = message.get("output")
        packed = pack(value)
        return message if packed is value else {**message, "output": packed}
    key = "result" if kind == names.BLOCK_FINISHED else "outputs"
    values = message.get(key) if kind == names.BLOCK_FINISHED or \
        kind == names.BLOCK_OUTPUTS else None
    if type(values) is not dict:
        return message
    out = values
    for handle, value in values.items():
        packed = pack(value)
        if packed is not value:
            if out is values:
                out = dict(values)
            out[handle] = packed
    return message if out is values else {**message, key: out}


def remember(value: Any, data: bytes) -> None:
    global _size
    if type(value) is not list and type(value) is not dict or len(data) < THRESHOLD:
        return
    old = _known.pop(id(value), None)
    if old is not None:
        _size -= len(old[1])
    _known[id(value)] = (value, data)
    _size += len(data)
    while _size > LIMIT:
        _size -= len(_known.pop(next(iter(_known)))[1])


def swap(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with each one whose pickle the engine has as that pickle (a new dict
    when there is one)."""
    if not _known:
        return values
    out = values
    for key, value in values.items():
        known = _known.get(id(value))
        if known is not None and known[0] is value:
            if out is values:
                out = dict(values)
            out[key] = Packed(known[1])
    return out


def forget() -> None:
    """Drop every pickle kept (the values may go)."""
    global _size
    _known.clear()
    _size = 0
