"""Executors run jobs: ``Executor.run(job, handler) -> Outcome`` (``base.py``). The names
load on first use: the command line imports ``prelaunch`` before it pays for the pool."""

from typing import Any

__all__ = ["Executor", "Job", "JobHandler", "Outcome", "OutcomeStatus", "WorkerPool"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(".pool" if name == "WorkerPool" else ".base", __name__), name)
