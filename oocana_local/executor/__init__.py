"""Executors run jobs: ``Executor.run(job, handler) -> Outcome`` (``base.py``)."""

from .base import Executor, Job, JobHandler, Outcome, OutcomeStatus
from .pool import WorkerPool

__all__ = ["Executor", "Job", "JobHandler", "Outcome", "OutcomeStatus", "WorkerPool"]
