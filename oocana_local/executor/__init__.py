"""Executors run jobs: ``Executor.run(job, handler) -> Outcome`` (``base.py``).

Names are imported on first use: the command line imports ``prelaunch`` to start the
first worker before it pays for the pool and asyncio.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Executor", "Job", "JobHandler", "Outcome", "OutcomeStatus", "WorkerPool"]

if TYPE_CHECKING:
    from .base import Executor, Job, JobHandler, Outcome, OutcomeStatus
    from .pool import WorkerPool


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    module = importlib.import_module(".pool" if name == "WorkerPool" else ".base", __name__)
    return getattr(module, name)
