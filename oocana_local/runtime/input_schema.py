"""Input values checked against their handle's JSON schema: its ``type`` and ``enum``.

Where a user gives a value (``--inputs``, ``--nodes-inputs``, the test kit, the API) a
mismatch is refused before anything runs; inside a flow it is a ``BlockWarning`` (oocana
does not validate there, so neither does the run stop). Only ``type`` and ``enum`` (in
``items`` and ``properties`` too) are checked: other keywords are often written loosely in
real manifests, and a value that merely looks odd must not stop a flow that works in oocana.
Secret and credential placeholders, var and bin references are not checked.
"""

from __future__ import annotations

from typing import Any

from ..manifest.resolved import HandleDef

__all__ = ["input_problems", "value_problem"]

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "number": (int, float), "integer": (int,), "boolean": (bool,),
    "array": (list, tuple), "object": (dict,), "null": (type(None),),
}
_UNCHECKED_MEDIA = ("oomol/secret", "oomol/credential", "oomol/var", "oomol/bin")
_MAX_DEPTH = 32
_MAX_ITEMS = 1000  # items of a long list checked: enough to catch a wrong element type


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _is_type(value: Any, name: str) -> bool:
    if name == "integer" and isinstance(value, float):
        return value.is_integer()
    types = _TYPES.get(name)
    if types is None:
        return True  # a type this check does not know: not ours to refuse
    return isinstance(value, types) and not (isinstance(value, bool) and name != "boolean")


def _short(value: Any) -> str:
    try:
        import json

        text = json.dumps(value, ensure_ascii=False, default=repr)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def value_problem(value: Any, schema: Any, where: str = "", depth: int = 0) -> str | None:
    """Why ``value`` does not fit ``schema`` (``where`` is the path inside the value)."""
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None
    if schema.get("contentMediaType") in _UNCHECKED_MEDIA:
        return None
    if isinstance(value, str) and value.startswith(("${{OO_SECRET:", "${{OO_CREDENTIAL:")):
        return None
    if isinstance(value, dict) and "__OOMOL_TYPE__" in value:
        return None
    expected = schema.get("type")
    names: list[str]
    if isinstance(expected, str):  # the usual case, in one test
        names = [] if _is_type(value, expected) else [expected]
    else:
        names = [n for n in expected if isinstance(n, str)] if isinstance(expected, list) \
            else []
        if any(_is_type(value, n) for n in names):
            names = []
    at = f" at {where}" if where else ""
    if names:
        return (f"expected type {' or '.join(names)}{at}, got {_short(value)} "
                f"(a {_kind(value)})")
    enum = schema.get("enum")
    if isinstance(enum, list) and enum and value not in enum:
        return f"expected one of {_short(enum)}{at}, got {_short(value)}"
    if isinstance(value, (list, tuple)):
        items = schema.get("items")
        if isinstance(items, dict):
            for index, item in enumerate(value[:_MAX_ITEMS]):
                problem = value_problem(item, items, f"{where}[{index}]", depth + 1)
                if problem:
                    return problem
    elif isinstance(value, dict):
        properties = schema.get("properties")
        if isinstance(properties, dict):
            for key, item in value.items():
                problem = value_problem(item, properties.get(key), f"{where}.{key}"
                                        if where else str(key), depth + 1)
                if problem:
                    return problem
    return None


def input_problems(defs: dict[str, HandleDef], values: dict[str, Any]) -> list[str]:
    """``input 'x': expected type number, got "3" (a string)`` for each bad value."""
    problems = []
    for handle, value in values.items():
        definition = defs.get(handle)
        if definition is None or value is None:  # null: "no value", for oocana too
            continue
        problem = value_problem(value, definition.json_schema)
        if problem:
            problems.append(f"input {handle!r}: {problem}")
    return problems
