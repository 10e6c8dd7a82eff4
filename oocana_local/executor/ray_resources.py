"""What a block asks of Ray: ``executor.options.resources`` turned into actor options.

Ray's own names: ``num_cpus``, ``num_gpus``, ``memory`` (bytes or text like ``4GiB``) and
``resources`` (custom Ray resources by name). Anything else is a ``UsageError`` that fails
the node, so a typo does not silently run a GPU block on a CPU.
"""

from __future__ import annotations

from typing import Any

from ..errors import UsageError

__all__ = ["actor_options", "RESOURCE_KEYS"]

RESOURCE_KEYS = ("num_cpus", "num_gpus", "memory", "resources")


def actor_options(resources: dict[str, Any] | None) -> dict[str, Any]:
    """Ray actor options for a block's declared resources (``UsageError`` if unknown).
    Undeclared: none, so Ray's default for actors applies (placed with 1 CPU, holding
    none while alive); how many run at once is ``max_actors``, as for the local pool."""
    declared = dict(resources or {})
    unknown = sorted(set(declared) - set(RESOURCE_KEYS))
    if unknown:
        raise UsageError(f"executor.options.resources: unknown key(s) {', '.join(unknown)}; "
                         f"use {', '.join(RESOURCE_KEYS)}")
    options: dict[str, Any] = {}
    for key in ("num_cpus", "num_gpus"):
        if key in declared:
            options[key] = _number(key, declared[key])
    if "memory" in declared:
        options["memory"] = _bytes(declared["memory"])
    if "resources" in declared:
        custom = declared["resources"]
        if not isinstance(custom, dict):
            raise UsageError("executor.options.resources.resources must be a mapping "
                             "of custom Ray resource names to amounts")
        options["resources"] = {str(k): _number(str(k), v) for k, v in custom.items()}
    return options


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise UsageError(f"executor.options.resources.{key} must be a number >= 0, "
                         f"got {value!r}")
    return value


_UNITS = {"": 1, "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
          "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4}


def _bytes(value: Any) -> int:
    """``memory``: bytes, or text like ``512MiB`` / ``4GB``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return int(value)
    text = str(value).strip().lower().replace(" ", "")
    digits = text.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = text[len(digits):]
    try:
        return int(float(digits) * _UNITS[unit])
    except (ValueError, KeyError):
        raise UsageError(f"executor.options.resources.memory must be bytes or text like "
                         f"'4GiB', got {value!r}") from None
