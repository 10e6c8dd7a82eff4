"""How values that are not plain JSON travel, and how they are named.

A var reference is oocana's wrapper around a value kept in the worker that made it, plus a
``key`` unique in the session::

    {"__OOMOL_TYPE__": "oomol/var",
     "value": {"executor": "python", "handle": H, "job_id": J, "session_id": S, "key": K},
     "serialize_path": None}

A worker given a wrapper whose key it holds substitutes the identical object; the engine
sends the pickled value (a blob) along for keys held elsewhere.
"""

from __future__ import annotations

TYPE_CHECKING = False  # the worker imports this module: annotations only
if TYPE_CHECKING:
    from typing import Any

__all__ = ["TYPE_KEY", "VAR_TYPE", "BIN_TYPE", "SECRET_TYPE", "CREDENTIAL_TYPE",
           "REFERENCE_TYPES", "SECRET_PLACEHOLDER", "is_var_ref", "var_key", "var_ref",
           "var_keys", "carried", "has_secret_placeholder"]

TYPE_KEY = "__OOMOL_TYPE__"
VAR_TYPE = "oomol/var"
BIN_TYPE = "oomol/bin"
SECRET_TYPE = "oomol/secret"
CREDENTIAL_TYPE = "oomol/credential"
REFERENCE_TYPES = frozenset({VAR_TYPE, BIN_TYPE, SECRET_TYPE, CREDENTIAL_TYPE})
"""``contentMediaType`` values whose inputs hold references or placeholders, not data."""
SECRET_PLACEHOLDER = "${{OO_SECRET:"
"""How a secret placeholder string starts: ``${{OO_SECRET:type,name,key}}``."""
_PLAIN = frozenset({int, float, bool, type(None)})


def is_var_ref(value: Any) -> bool:
    return (type(value) is dict and value.get(TYPE_KEY) == VAR_TYPE
            and isinstance(value.get("value"), dict) and "key" in value["value"])


def var_key(value: dict[str, Any]) -> str:
    key: str = value["value"]["key"]
    return key


def var_keys(values: Any) -> list[str]:
    """Keys of the var references among ``values`` (top level only, as values travel)."""
    return [value["value"]["key"] for value in values if is_var_ref(value)]


def var_ref(*, executor: str, handle: str, job_id: str, session_id: str, key: str,
            serialize_path: str | None = None) -> dict[str, Any]:
    return {TYPE_KEY: VAR_TYPE,
            "value": {"executor": executor, "handle": handle, "job_id": job_id,
                      "session_id": session_id, "key": key},
            "serialize_path": serialize_path}


def carried(message: dict[str, Any]) -> list[Any]:
    """The values a job's message carries: a ``BlockOutput``'s output, a
    ``BlockOutputs``' outputs, a ``BlockFinished``'s result, a ``RunBlock`` request's
    inputs (the executors note where var values live from these)."""
    values = [message["output"]] if "output" in message else []
    for key in ("outputs", "result"):
        mapping = message.get(key)
        if type(mapping) is dict:
            values.extend(mapping.values())
    inputs = (message.get("payload") or {}).get("inputs") if "payload" in message else None
    if type(inputs) is dict:
        values.extend(inputs.values())
    return values


def has_secret_placeholder(values: Any) -> bool:
    """Whether a string among ``values``, or anywhere inside their dicts and lists, starts
    as a secret placeholder: then the inputs go through the secret resolver
    (``oocana_local/secrets.py``), which replaces each string that is a whole placeholder,
    wherever it is. The one rule for the Python worker and the Node.js executor."""
    for value in values:
        kind = type(value)
        if kind is str:
            if value.startswith(SECRET_PLACEHOLDER):
                return True
        elif kind is dict:
            if has_secret_placeholder(value.values()):
                return True
        elif kind is list and not _PLAIN.issuperset(map(type, value)) \
                and has_secret_placeholder(value):  # a list of numbers: seen at C speed
            return True
    return False
