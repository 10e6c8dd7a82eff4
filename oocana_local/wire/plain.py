"""The frames of a Node.js worker: pickles, as a Python worker's are, of JSON's values only.

``nodejs/pickle.mjs`` reads and writes that subset (dicts, lists, tuples, sets, strings,
bytes, numbers, booleans, None) and gives it JSON's meaning: NaN and infinities are null,
keys are strings. Pickle, not JSON text, because the json module takes ~15x as long on a
list of numbers as pickle does.
"""

from __future__ import annotations

import io
import pickle

from .packed import Packed, unpack

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["dumps_plain", "pickle_plain"]

_SCALARS = (str, int, float, bool, type(None))


class _NotPlain(Exception):
    pass


class _PlainPickler(pickle.Pickler):
    """The C pickler writes exact dicts, lists, tuples, sets, strings, bytes, numbers,
    booleans and None by itself; it asks this about anything else."""

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is Packed:  # a value as the pickle of JSON's values a worker made
            return obj.__reduce__()
        if obj is unpack:  # ... called by name
            return NotImplemented
        raise _NotPlain


def _plain(value: Any) -> Any:
    """``value`` in plain values, as the json module would write it: a subclass as its
    base type (an ``IntEnum`` as its number), anything else as its ``repr``."""
    if type(value) in _SCALARS or type(value) is Packed or isinstance(value, (bytes, bytearray)):
        return value
    if isinstance(value, dict):
        return {k if type(k) in _SCALARS else str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, (int, float)):  # bool is final: an int or float subclass
        return float(value) if isinstance(value, float) else int(value)
    return repr(value)


def dumps_plain(message: dict[str, Any]) -> bytes:
    """A frame body for a Node.js worker."""
    buffer = io.BytesIO()
    try:
        _PlainPickler(buffer, 5).dump(message)
    except _NotPlain:  # rare: walk it in Python
        buffer = io.BytesIO()
        _PlainPickler(buffer, 5).dump(_plain(message))
    return buffer.getvalue()


def pickle_plain(value: Any) -> bytes | None:
    """The pickle of ``value`` if it holds built-in dicts, lists, tuples, sets, strings,
    bytes, numbers, booleans and None only (no subclass, nothing else), else None: a check
    at C speed that leaves the pickle to send."""
    buffer = io.BytesIO()
    try:
        _PlainPickler(buffer, 5).dump(value)
    except _NotPlain:
        return None
    return buffer.getvalue()
