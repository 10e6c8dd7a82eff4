"""Read, resolve and check OOMOL manifests (package, block, flow, subflow YAML).

    flow = load("flows/quickstart", search_paths=["~/oomol/packages"])
    for problem in check("."):
        print(problem.format())

``load`` returns resolved dataclasses (``resolved.py``) and raises ``ManifestError`` with
file:line problems; ``check`` returns the problems instead. ``Loader`` does both while
keeping parsed blocks cached, and resolves references for ``context.run_block``.

``load``, ``check`` and ``Loader`` are imported on first use: they bring in pydantic and
PyYAML, which code that only needs the resolved types (the graph, the runtime) should
not pay for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ManifestError
from .problems import Problem
from .resolved import (
    MISSING,
    Block,
    ConditionCase,
    ConditionNode,
    Flow,
    FromFlow,
    FromNode,
    HandleDef,
    Injection,
    InputFrom,
    Location,
    Node,
    OutputFrom,
    PackageInfo,
    SlotNode,
    SlotProvider,
    SubflowNode,
    TaskBlock,
    TaskNode,
    UnsupportedNode,
    ValueNode,
)

if TYPE_CHECKING:
    from .loader import Loader, check, load

__all__ = [
    "MISSING",
    "Block",
    "ConditionCase",
    "ConditionNode",
    "Flow",
    "FromFlow",
    "FromNode",
    "HandleDef",
    "Injection",
    "InputFrom",
    "Loader",
    "Location",
    "ManifestError",
    "Node",
    "OutputFrom",
    "PackageInfo",
    "Problem",
    "SlotNode",
    "SlotProvider",
    "SubflowNode",
    "TaskBlock",
    "TaskNode",
    "UnsupportedNode",
    "ValueNode",
    "check",
    "load",
]

_LAZY = frozenset({"Loader", "check", "load"})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import loader

        value = getattr(loader, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
