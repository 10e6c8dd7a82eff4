"""How block values travel: JSON inline, everything else by reference to a store.

``to_json`` turns a value into plain JSON data (NaN and infinities become None, tuples
lists, numpy scalars Python numbers) or raises ``NotJSON``. ``ValueStore`` keeps the
values that cannot travel as JSON and hands out var references (see
``oocana_local.wire.values``); ``encode_output`` picks between the two.
"""

from __future__ import annotations

import itertools
import math
import pickle

from ..wire.errors import JobSetupError
from ..wire.packed import keep
from ..wire.plain import pickle_plain
from ..wire.values import VAR_TYPE, is_var_ref, var_key

TYPE_CHECKING = False  # typing costs a fresh worker milliseconds: annotations only
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

__all__ = ["NotJSON", "InputValueError", "ValueStore", "to_json", "encode_output",
           "is_var_handle", "is_bin_handle", "decode_inputs", "write_bin", "BIN_TYPE"]

BIN_TYPE = "oomol/bin"

_INF = float("inf")
_BASIC = (int, float, str, bool)
_ATOMS = frozenset({str, int, bool, type(None)})
_NUMBERS = frozenset({float, int, bool})
_MANY = 4096  # items of a list worth checking by pickling it


class NotJSON(TypeError):
    """The value has a part that JSON cannot hold."""


class InputValueError(JobSetupError, LookupError):
    """An input's var reference cannot be turned into its value here."""


def _fail(value: Any) -> Any:
    raise NotJSON(f"Object of type {type(value).__name__} is not JSON serializable")


def _convert(value: Any) -> Any:
    """Returns ``value`` itself when it is already plain JSON, else a converted copy."""
    t = type(value)
    if t is str or t is int or t is bool or value is None:
        return value
    if t is float:
        return value if (value == value and value != _INF and value != -_INF) else None
    if t is list:
        if len(value) >= _MANY and _numbers(value):
            return value
        kinds = set(map(type, value))  # a list of numbers or of text, seen at C speed
        if kinds <= _ATOMS or (kinds <= _NUMBERS and _finite(value)):
            return value
        out = None
        for i, item in enumerate(value):
            new = _convert(item)
            if out is None and new is not item:
                out = value[:i]
            if out is not None:
                out.append(new)
        return value if out is None else out
    if t is dict:
        out_d = None
        for i, (key, item) in enumerate(value.items()):
            if type(key) is not str:
                _fail(key)  # JSON would silently turn 1 into "1"; a var keeps the dict exact
            new = _convert(item)
            if out_d is None and new is not item:
                out_d = dict(itertools.islice(value.items(), i))
            if out_d is not None:
                out_d[key] = new
        return value if out_d is None else out_d
    if t is tuple:
        return [_convert(item) for item in value]
    return _convert_other(value)


def _numbers(value: list[Any]) -> bool:
    """Whether a long list holds finite built-in numbers only: its sum is finite (so each
    item is a number) and the plain pickler takes it (so each is an int, float or bool and
    nothing else), which is quicker than looking at each type; the pickle is kept to be
    sent (``wire/packed.py``)."""
    if not _finite(value):
        return False
    data = pickle_plain(value)
    if data is None:
        return False
    keep(value, data)
    return True


def _finite(numbers: list[Any]) -> bool:
    """Whether every item is a number, none NaN or infinite: their sum is finite (a
    non-number or an overflow says no)."""
    try:
        return math.isfinite(sum(numbers))
    except (TypeError, OverflowError):
        return False


def _convert_other(value: Any) -> Any:
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        return str.__str__(value)  # plain text of a str subclass (StrEnum, ...)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return _convert(float(value))  # numpy.float64 and friends
    if isinstance(value, dict):
        return _convert(dict(value))
    if isinstance(value, list):
        return _convert(list(value))
    if type(value).__module__ == "numpy" and getattr(value, "shape", None) == ():
        return _convert(value.item())  # numpy scalars: int64, bool_, float32, ...
    if hasattr(value, "__dataclass_fields__") and not isinstance(value, type):
        import dataclasses  # only blocks that use dataclasses pay for it

        return _convert(dataclasses.asdict(value))
    return _fail(value)


def to_json(value: Any) -> Any:
    """Plain JSON data for ``value`` (NaN/inf -> None), or raises ``NotJSON``."""
    return _convert(value)


def is_var_handle(handle_def: Mapping[str, Any] | None) -> bool:
    if not handle_def:
        return False
    schema = handle_def.get("json_schema")
    return isinstance(schema, dict) and schema.get("contentMediaType") == VAR_TYPE


def is_bin_handle(handle_def: Mapping[str, Any] | None) -> bool:
    if not handle_def:
        return False
    schema = handle_def.get("json_schema")
    return isinstance(schema, dict) and schema.get("contentMediaType") == BIN_TYPE


def is_bin_ref(value: Any) -> bool:
    return (type(value) is dict and value.get("__OOMOL_TYPE__") == BIN_TYPE
            and isinstance(value.get("value"), str))


def write_bin(data: bytes | bytearray | memoryview, *, session_dir: str, session_id: str,
              job_id: str, handle: str) -> dict[str, Any]:
    """oocana's bin output: the bytes go to
    ``<session_dir>/binary/<session_id>/<job_id>/<handle>``; the wrapper names the file."""
    import os

    folder = os.path.join(session_dir, "binary", session_id, job_id)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, handle)
    with open(path, "wb") as file:
        file.write(data)
    return {"__OOMOL_TYPE__": BIN_TYPE, "value": path}


def _read_cached(ref: dict[str, Any]) -> Any:
    """A var value nobody holds any more, from its ``serialize_path`` (a DataFrame pickled
    by an earlier run, see ``serialize_for_cache``)."""
    import os

    path = ref.get("serialize_path")
    if not isinstance(path, str) or not os.path.isfile(path):
        raise InputValueError(var_key(ref))
    import pandas

    return pandas.read_pickle(path)  # compression follows the suffix


def _dump(value: Any, **_options: Any) -> bytes:
    return pickle.dumps(value, protocol=5)


def describe(value: Any) -> str:
    """A short description of a value that stays in a worker, for people to read:
    ``DataFrame 2 rows × 3 columns``, ``ndarray 3×4 float64``, ``Figure``."""
    name = type(value).__name__
    try:
        shape = getattr(value, "shape", None)
        if isinstance(shape, tuple) and all(isinstance(n, int) for n in shape):
            if name == "DataFrame" and len(shape) == 2:
                return f"DataFrame {shape[0]} rows × {shape[1]} columns"
            if name == "Series" and len(shape) == 1:
                return f"Series {shape[0]} rows"
            dtype = getattr(value, "dtype", None)
            dims = "×".join(map(str, shape)) or "scalar"
            return f"{name} {dims}" + (f" {dtype}" if dtype is not None else "")
        if isinstance(value, (list, tuple, set, frozenset, dict)):
            return f"{name} of {len(value)} items"
    except Exception:  # a value's own attributes may raise: the name will do
        pass
    return name


class ValueStore:
    """Values kept in this process, by var key. Thread-safe enough: only dict operations."""

    def __init__(self, *, dump: Callable[..., bytes] = _dump,
                 load: Callable[[bytes], Any] = pickle.loads):
        self.values: dict[str, Any] = {}
        self._dump = dump
        self._load = load
        self._counter = itertools.count(1)

    def __contains__(self, key: str) -> bool:
        return key in self.values

    def __len__(self) -> int:
        return len(self.values)

    def put(self, value: Any, *, handle: str, job_id: str, session_id: str) -> dict[str, Any]:
        key = f"{job_id}:{handle}:{next(self._counter)}"
        self.values[key] = value
        return {"__OOMOL_TYPE__": VAR_TYPE,
                "value": {"executor": "python", "handle": handle, "job_id": job_id,
                          "session_id": session_id, "key": key},
                "serialize_path": None, "description": describe(value)}

    def resolve(self, ref: dict[str, Any], blobs: Mapping[str, bytes] | None = None) -> Any:
        """The value a var reference names; unpickled from ``blobs`` when not held yet."""
        key = var_key(ref)
        try:
            return self.values[key]
        except KeyError:
            pass
        if blobs and key in blobs:
            value = self.values[key] = self._load(blobs[key])
            return value
        if ref.get("serialize_path"):
            value = self.values[key] = _read_cached(ref)
            return value
        raise InputValueError(key)

    def export(self, keys: list[str], *, keep: bool = False
               ) -> tuple[dict[str, bytes], dict[str, str]]:
        """Pickled copies of held values, and an error text for each that failed.
        ``keep``: the copies may be loaded more than once (see ``worker/blobs.py``)."""
        blobs: dict[str, bytes] = {}
        errors: dict[str, str] = {}
        for key in keys:
            if key not in self.values:
                errors[key] = "not held by this worker"
                continue
            try:
                blobs[key] = self._dump(self.values[key], keep=keep) if keep else \
                    self._dump(self.values[key])
            except Exception as exc:
                errors[key] = f"cannot be pickled: {type(exc).__name__}: {exc}"
        return blobs, errors

    def free(self, keys: list[str]) -> None:
        for key in keys:
            self.values.pop(key, None)


def encode_output(value: Any, *, handle: str, var: bool, store: ValueStore, job_id: str,
                  session_id: str) -> Any:
    """The wire form of an output value: JSON inline or a var reference."""
    if var:
        if isinstance(value, _BASIC):
            return to_json(value)
    else:
        try:
            return _convert(value)
        except NotJSON:
            pass
    return store.put(value, handle=handle, job_id=job_id, session_id=session_id)


def decode_inputs(inputs: Mapping[str, Any] | None, store: ValueStore,
                  blobs: Mapping[str, bytes] | None = None) -> dict[str, Any]:
    """Inputs with each var reference replaced by its value; ``InputValueError`` names an
    input whose value is not held here or does not unpickle."""
    if not inputs:
        return {}
    decoded = dict(inputs)
    for name, value in decoded.items():
        if is_bin_ref(value):
            try:
                with open(value["value"], "rb") as file:
                    decoded[name] = file.read()
            except OSError as exc:
                raise InputValueError(f"input {name!r}: cannot read its oomol/bin file "
                                      f"{value['value']}: {exc.strerror}") from None
        elif is_var_ref(value):
            try:
                decoded[name] = store.resolve(value, blobs)
            except InputValueError:
                raise InputValueError(
                    f"input {name!r} refers to a value that is no longer held by any worker "
                    f"(var key {var_key(value)!r}); the worker that made it has exited") from None
            except Exception as exc:
                raise InputValueError(f"input {name!r} cannot be unpickled here: "
                                      f"{type(exc).__name__}: {exc}") from exc
    return decoded
