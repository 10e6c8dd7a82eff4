"""``--inputs-file``: root inputs read from a JSON file (``run`` and ``dev``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import UsageError

__all__ = ["read_inputs_file"]


def read_inputs_file(path: Path, given: dict[str, Any] | None = None) -> dict[str, Any]:
    """``given`` (the ``--inputs``) updated with the object in ``path``: keys in the file
    win. ``UsageError`` naming the file (and line) when it cannot be read or is not an
    object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read the inputs file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save "
                         "the inputs file as UTF-8 JSON") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON "
                         f"({exc.msg})") from None
    except RecursionError:
        raise UsageError(f"{path}: the inputs nest lists or objects too deeply") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: the inputs must be a JSON object, got "
                         f"{type(data).__name__}")
    return {**(given or {}), **data}
