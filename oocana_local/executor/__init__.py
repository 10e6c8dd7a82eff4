"""The engine's side of block execution: the abstract ``Executor`` and the ``WorkerPool``."""

from .base import Executor, Job, JobHandler, JobOutcome

__all__ = ["Executor", "Job", "JobHandler", "JobOutcome", "WorkerPool"]


def __getattr__(name: str):  # the pool pulls in asyncio and subprocess: load it on use
    if name == "WorkerPool":
        from .pool import WorkerPool

        return WorkerPool
    raise AttributeError(name)
