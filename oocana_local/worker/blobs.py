"""Pickled copies of stored values, for moving a value to another worker.

A blob is two pickles (protocol 5) back to back: a small header naming the block modules
this worker knows (``{module name: file}``), then the value. The receiving worker learns
those names first, so a value whose class lives in a block module unpickles there even if
that worker never ran the block. A blob without the header (a plain pickle) loads too.
"""

from __future__ import annotations

import io
import pickle

from . import loader

TYPE_CHECKING = False  # typing costs a fresh worker milliseconds: annotations only
if TYPE_CHECKING:
    from typing import Any

__all__ = ["dump", "load"]

_MARK = "__oocana_blob__"


def dump(value: Any) -> bytes:
    buffer = io.BytesIO()
    pickle.dump({_MARK: 1, "modules": loader.known_modules()}, buffer, protocol=5)
    pickle.dump(value, buffer, protocol=5)
    return buffer.getvalue()


def load(blob: bytes) -> Any:
    stream = io.BytesIO(blob)
    first = pickle.load(stream)
    if type(first) is dict and first.get(_MARK) == 1:
        loader.learn_modules(first.get("modules") or {})
        return pickle.load(stream)
    return first
