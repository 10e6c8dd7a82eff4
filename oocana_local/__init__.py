"""oocana-local: develop, test and run OOMOL blocks and flows on your own machine.

The public API::

    import oocana_local
    result = oocana_local.run("flows/quickstart", inputs={"n": 3})
    result.status, result.outputs, result.nodes, result.events

    with oocana_local.Engine() as engine:      # keeps workers warm between runs
        engine.run("flows/x", nodes=["plot#1"])

    problems = oocana_local.check(".")         # every manifest problem, with file:line

Names are imported lazily: worker processes import this package too, and must not pay
for the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Engine",
    "run",
    "load",
    "check",
    "RunResult",
    "RunOptions",
    "RunStatus",
    "NodeState",
    "Problem",
    "OocanaLocalError",
    "ManifestError",
    "UsageError",
    "RunError",
    "WorkerError",
    "Bus",
    "JsonlRecorder",
    "MESSAGE_TYPES",
    "DebugSettings",
]

_LAZY = {
    "Engine": "oocana_local.engine",
    "run": "oocana_local.engine",
    "load": "oocana_local.manifest",
    "check": "oocana_local.manifest",
    "RunResult": "oocana_local.runtime.run",
    "RunOptions": "oocana_local.runtime.options",
    "RunStatus": "oocana_local.states",
    "NodeState": "oocana_local.states",
    "Problem": "oocana_local.manifest.problems",
    "OocanaLocalError": "oocana_local.errors",
    "ManifestError": "oocana_local.errors",
    "UsageError": "oocana_local.errors",
    "RunError": "oocana_local.errors",
    "WorkerError": "oocana_local.errors",
    "Bus": "oocana_local.mainframe.bus",
    "JsonlRecorder": "oocana_local.mainframe.recorder",
    "MESSAGE_TYPES": "oocana_local.mainframe.messages",
    "DebugSettings": "oocana_local.debug_settings",
}

if TYPE_CHECKING:
    from .debug_settings import DebugSettings
    from .engine import Engine, run
    from .errors import ManifestError, OocanaLocalError, RunError, UsageError, WorkerError
    from .mainframe.bus import Bus
    from .mainframe.messages import MESSAGE_TYPES
    from .mainframe.recorder import JsonlRecorder
    from .manifest import check, load
    from .manifest.problems import Problem
    from .runtime.options import RunOptions
    from .runtime.run import RunResult
    from .states import NodeState, RunStatus


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'oocana_local' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
