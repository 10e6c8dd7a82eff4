"""Manifest records, declared once and validated two ways.

``raw.py`` declares each manifest's fields as a ``Record`` subclass with plain type
annotations (``str``, ``bool``, ``X | None``, ``list[X]``, ``Literal[...]``, other records)
and a few markers inside ``Annotated``: ``Ge`` (a lower bound), ``Before`` (a function
applied before the check) and ``Pick`` (a union decided by looking at the value). From
that one declaration:

* ``fast_parse`` (here) checks a plain manifest without importing pydantic: exact types
  only, no coercion. Anything else (a number where text goes, a missing key, ...) makes
  it step aside by returning None.
* ``pydantic_models.py`` builds the equivalent pydantic models on first need; they
  validate what the fast path stepped aside from, coerce what the engine coerces, and
  report every problem.

Both give ``Record`` instances: attributes named as the fields, ``model_fields_set``
(which keys were written: ``value`` has three states) and ``model_extra``.

The checkers are compiled once per record class, on first use, so importing ``raw.py``
costs only its class statements.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

__all__ = ["Before", "Field", "Ge", "Pick", "Record", "fast_parse", "fields_of", "union_members"]


class _Mark:
    """A marker inside ``Annotated``. Plain classes, not dataclasses: these are made at
    import, on every cold start, and a dataclass costs a millisecond to create."""

    __slots__: tuple[str, ...] = ()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(
            getattr(self, n) == getattr(other, n) for n in self.__slots__)

    def __hash__(self) -> int:
        return hash((type(self), *(getattr(self, n) for n in self.__slots__)))

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__)
        return f"{type(self).__name__}({shown})"


class Ge(_Mark):
    """The value (a number) must be >= ``bound``."""

    __slots__ = ("bound",)

    def __init__(self, bound: float):
        self.bound = bound


class Before(_Mark):
    """``fn`` is applied to the value as written, before its type is checked."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[Any], Any]):
        self.fn = fn


class Pick(_Mark):
    """A union decided by ``fn(value)``: the member type to validate with, or None when
    the value fits none (then the error is ``error_type`` / ``error_message``)."""

    __slots__ = ("fn", "error_type", "error_message")

    def __init__(self, fn: Callable[[Any], Any], error_type: str | None = None,
                 error_message: str | None = None):
        self.fn = fn
        self.error_type = error_type
        self.error_message = error_message


class Field(_Mark):
    """One declared field of a record."""

    __slots__ = ("name", "annotation", "required", "default")

    def __init__(self, name: str, annotation: Any, required: bool, default: Any = None):
        self.name = name
        self.annotation = annotation
        self.required = required
        self.default = default


class Record:
    """A validated mapping of a manifest. Subclasses declare fields as annotations;
    a class attribute is the field's default, no attribute makes it required."""

    KIND: ClassVar[str] = ""
    """What the loader dispatches on (``"task"``, ``"group"``, ...)."""
    EXTRA: ClassVar[bool] = False
    """Keep unknown keys (in ``model_extra``); otherwise they are ignored, as the engine does."""

    model_fields_set: set[str]
    model_extra: dict[str, Any]

    @classmethod
    def make(cls, values: dict[str, Any], written: set[str],
             extra: dict[str, Any] | None = None) -> Any:
        """An instance holding ``values`` (defaults come from the class)."""
        record = cls.__new__(cls)
        record.__dict__.update(values)
        record.model_fields_set = written
        record.model_extra = extra or {}
        return record

    def model_dump(self, *, exclude_unset: bool = False) -> dict[str, Any]:
        names = [f for f in fields_of(type(self))
                 if not exclude_unset or f in self.model_fields_set]
        out = {name: _dump(getattr(self, name)) for name in names}
        out.update(self.model_extra)
        return out

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={getattr(self, k)!r}" for k in fields_of(type(self)))
        return f"{type(self).__name__}({shown})"


def _dump(value: Any) -> Any:
    if isinstance(value, Record):
        return value.model_dump()
    if isinstance(value, list):
        return [_dump(v) for v in value]
    return value


_FIELDS: dict[type, dict[str, Field]] = {}


def fields_of(cls: type[Record]) -> dict[str, Field]:
    """The declared fields of a record class, resolved once."""
    found = _FIELDS.get(cls)
    if found is None:
        hints: dict[str, Any] = {}
        for klass in reversed(cls.__mro__):
            if klass is not Record and issubclass(klass, Record):
                hints.update(klass.__dict__.get("__annotations__", {}))
        if any(isinstance(h, str) for h in hints.values()):  # postponed annotations
            hints = typing.get_type_hints(cls, include_extras=True)
        found = {}
        for name, annotation in hints.items():
            if name.startswith("model_") or get_origin(annotation) is ClassVar:
                continue
            required = not hasattr(cls, name)
            found[name] = Field(name, annotation, required, getattr(cls, name, None))
        _FIELDS[cls] = found
    return found


def union_members(annotation: Any) -> tuple[Any, ...]:
    """The members of ``A | B`` (``typing.Union`` or ``types.UnionType``), else ()."""
    if get_origin(annotation) in (Union, types.UnionType):
        return get_args(annotation)
    return ()


# --- the fast path --------------------------------------------------------------------


class _Off(Exception):
    """Not the plain case: let pydantic decide."""


Check = Callable[[Any], Any]
_CHECKERS: dict[Any, Check] = {}


def fast_parse(cls: type[Record], data: Any) -> Any:
    """``data`` validated as ``cls`` when it is plainly valid, else None (ask pydantic)."""
    try:
        return _checker(cls)(data)
    except _Off:
        return None


def _checker(annotation: Any) -> Check:
    try:
        return _CHECKERS[annotation]
    except (KeyError, TypeError):
        pass
    if isinstance(annotation, type) and issubclass(annotation, Record):
        # Registered before it is built: records may refer to themselves.
        slot: list[Check] = []
        _CHECKERS[annotation] = lambda value: slot[0](value)
        slot.append(_record_checker(annotation))
        _CHECKERS[annotation] = slot[0]
        return slot[0]
    check = _build(annotation)
    try:
        _CHECKERS[annotation] = check
    except TypeError:  # unhashable annotation: not cached
        pass
    return check


def _off(_: Any = None) -> Any:
    raise _Off


def _build(annotation: Any) -> Check:
    origin = get_origin(annotation)
    if annotation is Any:
        return lambda value: value
    if annotation in (str, bool, int):
        exact = annotation
        return lambda value: value if type(value) is exact else _off()
    if annotation is float:
        return lambda value: float(value) if type(value) in (int, float) else _off()
    if origin is Annotated:
        base, *marks = get_args(annotation)
        return _annotated(base, marks)
    if origin is Literal:
        options = frozenset(get_args(annotation))
        return lambda value: value if type(value) is str and value in options else _off()
    if origin is list:
        (item,) = get_args(annotation) or (Any,)
        check_item = _checker(item)
        return lambda value: ([check_item(v) for v in value] if type(value) is list
                              else _off())
    if origin is dict:
        _, item = get_args(annotation) or (str, Any)
        check_value = _checker(item)
        return lambda value: (
            {k: check_value(v) for k, v in value.items()}
            if type(value) is dict and all(type(k) is str for k in value) else _off())
    members = union_members(annotation)
    if members and type(None) in members and len(members) == 2:
        inner = _checker(next(m for m in members if m is not type(None)))
        return lambda value: None if value is None else inner(value)
    raise TypeError(f"manifest records cannot declare {annotation!r}")


def _annotated(base: Any, marks: list[Any]) -> Check:
    picks = [m for m in marks if isinstance(m, Pick)]
    check: Check
    if picks:
        members = {m: _checker(m) for m in union_members(base) or (base,)}
        choose = picks[0].fn

        def pick(value: Any) -> Any:
            member = choose(value)
            if member is None:
                raise _Off
            return members[member](value)
        check = pick
    else:
        check = _checker(base)
    for mark in marks:
        if isinstance(mark, Ge):
            check = _at_least(check, mark.bound)
        elif isinstance(mark, Before):
            check = _before(check, mark.fn)
    return check


def _at_least(check: Check, bound: float) -> Check:
    def at_least(value: Any) -> Any:
        value = check(value)
        if not value >= bound:  # NaN fails too
            raise _Off
        return value
    return at_least


def _before(check: Check, fn: Callable[[Any], Any]) -> Check:
    return lambda value: check(fn(value))


def _record_checker(cls: type[Record]) -> Check:
    fields = [(f.name, _checker(f.annotation), f.required) for f in fields_of(cls).values()]
    names = frozenset(f[0] for f in fields)
    make = cls.make
    keep_extra = cls.EXTRA

    def check(data: Any) -> Any:
        if type(data) is not dict:
            raise _Off
        values: dict[str, Any] = {}
        for name, check_field, required in fields:
            if name in data:
                values[name] = check_field(data[name])
            elif required:
                raise _Off
        if any(type(k) is not str for k in data):
            raise _Off
        written = set(names.intersection(data))
        extra = None
        if keep_extra:  # as pydantic does, extra keys count as written
            extra = {k: v for k, v in data.items() if k not in names}
            written.update(extra)
        return make(values, written, extra)

    return check
