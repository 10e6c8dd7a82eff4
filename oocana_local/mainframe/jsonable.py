"""Turn any value into something JSON can write, never raising.

Bus messages carry whatever blocks produce: bytes, sets, NaN, dataclasses, arbitrary
objects. Whoever writes messages out (the JSONL recorder, the API) goes through here:

* NaN and infinities become ``null`` (as oocana's executors write them);
* bytes-like values become a base64 string;
* sets become lists, tuples lists, dataclass instances dicts of their fields;
* non-string dict keys become strings (as ``json`` does for numbers, ``repr`` otherwise);
* anything else becomes its ``repr`` (cycles and over-deep nesting become a marker).

``dumps`` tries the C encoder first and only walks the value when that fails, so the
common case (a plain JSON message) costs one ``json.dumps``.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
from typing import Any

__all__ = ["to_jsonable", "dumps"]

_MAX_DEPTH = 200
_FAST_ERRORS = (TypeError, ValueError, RecursionError, OverflowError)


def dumps(value: Any) -> str:
    """``json.dumps`` that always succeeds, returning compact single-line JSON."""
    try:
        return json.dumps(value, allow_nan=False, default=_default, separators=(",", ":"))
    except Exception:  # any failure means: take the slow, safe path
        return json.dumps(_walk(value, set(), 0), allow_nan=False, separators=(",", ":"))


def to_jsonable(value: Any) -> Any:
    """A JSON-safe form of ``value``; ``value`` itself (not a copy) when it already is."""
    try:
        json.dumps(value, allow_nan=False)
    except Exception:
        return _walk(value, set(), 0)
    return value


def _default(value: Any) -> Any:
    """``default=`` hook of the fast path: one level at a time, json recurses for us."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _b64(value)
    if isinstance(value, (set, frozenset)):
        return _set_items(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    return _repr(value)


def _walk(value: Any, seen: set[int], depth: int) -> Any:
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if depth >= _MAX_DEPTH:
        return "<too deep>"
    if isinstance(value, (dict, list, tuple, set, frozenset)) or (
        dataclasses.is_dataclass(value) and not isinstance(value, type)
    ):
        ident = id(value)
        if ident in seen:
            return "<cycle>"
        seen.add(ident)
        try:
            return _walk_container(value, seen, depth + 1)
        finally:
            seen.discard(ident)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _b64(value)
    return _repr(value)


def _walk_container(value: Any, seen: set[int], depth: int) -> Any:
    if isinstance(value, dict):
        return {_key(k): _walk(v, seen, depth) for k, v in list(value.items())}
    if isinstance(value, (list, tuple)):
        return [_walk(v, seen, depth) for v in value]
    if isinstance(value, (set, frozenset)):
        return [_walk(v, seen, depth) for v in _set_items(value)]
    return {f.name: _walk(_getattr(value, f.name), seen, depth)
            for f in dataclasses.fields(value)}


def _key(key: Any) -> str:
    # Same spelling json uses for the keys it accepts; repr for the rest.
    if isinstance(key, str):
        return key
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        return str(int(key))
    if isinstance(key, float):
        if math.isnan(key):
            return "NaN"
        if math.isinf(key):
            return "Infinity" if key > 0 else "-Infinity"
        return repr(float(key))
    return _repr(key)


def _set_items(value: set[Any] | frozenset[Any]) -> list[Any]:
    try:
        return sorted(value)  # stable output when the items are orderable
    except Exception:
        return list(value)


def _b64(value: bytes | bytearray | memoryview) -> str:
    try:
        return base64.b64encode(value).decode("ascii")
    except Exception:  # e.g. a non-contiguous memoryview
        return _repr(value)


def _getattr(value: Any, name: str) -> Any:
    try:
        return getattr(value, name)
    except Exception as exc:
        return f"<{type(exc).__name__}>"


def _repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception:  # a broken __repr__ must not lose the message
        return f"<{type(value).__name__} object>"
