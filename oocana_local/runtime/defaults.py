"""Inputs nobody gave: a definition's ``value``, else null when ``nullable`` (§2.1)."""

from __future__ import annotations

from typing import Any

from ..manifest.resolved import MISSING, HandleDef

__all__ = ["with_defaults"]


def with_defaults(defs: dict[str, HandleDef], given: dict[str, Any] | None
                  ) -> tuple[dict[str, Any], list[str]]:
    """``given`` plus defaults, and the handles still missing (no value, not nullable)."""
    inputs = dict(given or {})
    missing = []
    for handle, definition in defs.items():
        if handle in inputs:
            continue
        if definition.value is not MISSING:
            inputs[handle] = definition.value
        elif definition.nullable:
            inputs[handle] = None
        else:
            missing.append(handle)
    return inputs, missing
