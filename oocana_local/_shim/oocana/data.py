"""``oocana.data``: the value wrappers, job and block identities, and ``dumps``.

``StoreKey(**ref["value"])`` names a var value as oocana's executor keys it (oocana-local
adds a ``key`` to the reference, which ``StoreKey`` ignores). ``StoreKey`` and
``BlockInfo`` take a dict's keys: a missing one is a ``ValueError``, unknown ones are
ignored (``BlockInfo`` keeps them as attributes).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Any, Literal, TypedDict

from oocana_local.context.types import BlockDict, JobDict

__all__ = ["dumps", "BinValueDict", "VarValueDict", "JobDict", "BlockDict", "StoreKey",
           "BlockInfo", "EXECUTOR_NAME"]

EXECUTOR_NAME = "python"

# a functional TypedDict: "__OOMOL_TYPE__" is no name a class body can declare
BinValueDict = TypedDict("BinValueDict", {"value": str, "__OOMOL_TYPE__": Literal["oomol/bin"]})
VarValueDict = TypedDict("VarValueDict", {"value": dict, "__OOMOL_TYPE__": Literal["oomol/var"],
                                          "serialize_path": str | None})


def _take(obj: Any, kwargs: dict[str, Any], required: tuple[str, ...]) -> None:
    for name in required:
        if name not in kwargs:
            raise ValueError(f"missing key {name}")
        object.__setattr__(obj, name, kwargs[name])


@dataclass(frozen=True, kw_only=True, init=False)
class StoreKey:
    """Where oocana's executor keeps an ``oomol/var`` value."""

    executor: str
    handle: str
    job_id: str
    session_id: str

    def __init__(self, **kwargs: Any):
        _take(self, kwargs, ("executor", "handle", "job_id", "session_id"))


@dataclass(frozen=True, kw_only=True, init=False)
class BlockInfo:
    """A block job's identity: session, job, node stacks and the block's manifest."""

    session_id: str
    job_id: str
    stacks: list[Any]
    block_path: str | None = None

    def __init__(self, **kwargs: Any):
        _take(self, kwargs, ("session_id", "job_id", "stacks"))
        for key, value in kwargs.items():
            if key not in ("session_id", "job_id", "stacks"):
                object.__setattr__(self, key, value)
        if "block_path" not in kwargs:
            object.__setattr__(self, "block_path", None)

    def job_info(self) -> JobDict:
        return {"session_id": self.session_id, "job_id": self.job_id}

    def block_dict(self) -> BlockDict:
        """``session_id``, ``job_id``, ``stacks`` and ``block_path`` unless it is None."""
        block: dict[str, Any] = {"session_id": self.session_id, "job_id": self.job_id,
                                 "stacks": self.stacks}
        if self.block_path is not None:
            block["block_path"] = self.block_path
        return block  # type: ignore[return-value]


def _plain(value: Any) -> Any:
    """``value`` with dataclasses as dicts and NaN / infinities as None. (oocana-local's
    ``to_json`` is stricter: it refuses non-string keys, which ``dumps`` writes as json
    does.)"""
    t = type(value)
    if t is float:
        return value if math.isfinite(value) else None
    if t is dict:
        return {key: _plain(item) for key, item in value.items()}
    if t is list or t is tuple:
        return [_plain(item) for item in value]
    if hasattr(value, "__dataclass_fields__") and not isinstance(value, type):
        return _plain(asdict(value))
    return value


def dumps(obj: Any, **kwargs: Any) -> str:
    """JSON text of ``obj``: ``json.dumps`` that also writes dataclasses (as dicts) and
    writes NaN and infinities as ``null``; ``kwargs`` go to ``json.dumps``."""
    return json.dumps(_plain(obj), **kwargs)
