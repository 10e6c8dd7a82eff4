"""The one vocabulary of states: of a job's outcome, of a node in a run, of a run.

String enums: ``NodeState.DONE == "done"`` and JSON writes them as their value, so the
CLI's ``--json``, the events and ``RunResult`` all show the same words.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["OutcomeStatus", "NodeState", "RunStatus"]


class _Word(str, Enum):
    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return self.value.__format__(spec)


class OutcomeStatus(_Word):
    """How one job ended (``Executor.run`` returns exactly one)."""

    DONE = "done"
    FAILED = "failed"          # the block raised or finished with an error
    TIMEOUT = "timeout"        # it ran longer than its node's timeout
    CRASHED = "crashed"        # its worker process died under it
    CANCELLED = "cancelled"    # the run stopped it (another node failed, Ctrl-C, close)
    CACHED = "cached"          # not run: the node cache replayed a previous result

    @property
    def ok(self) -> bool:
        return self is _DONE or self is _CACHED  # (asked several times per job)


_DONE, _CACHED = OutcomeStatus.DONE, OutcomeStatus.CACHED


class NodeState(_Word):
    """Where a node of a run is; the terminal view, ``RunResult.nodes`` and the kit use it."""

    WAITING = "waiting"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    CANCELLED = "cancelled"
    NOT_RUN = "not_run"        # its inputs never all arrived
    SKIPPED = "skipped"        # outside the nodes a subset run asked for
    CACHED = "cached"          # done, by replaying a stored result (views show it)

    @property
    def label(self) -> str:
        """The word people read ("not run")."""
        return self.value.replace("_", " ")

    @property
    def finished(self) -> bool:
        return self not in (NodeState.WAITING, NodeState.RUNNING)

    @classmethod
    def of(cls, outcome: OutcomeStatus) -> NodeState:
        """A node's state after a job ended so (``RunResult.nodes`` says ``done`` for a
        cached one and lists it in ``RunResult.cached``)."""
        return cls.DONE if outcome.ok else cls(outcome.value)


class RunStatus(_Word):
    """How a whole run (a session) ended."""

    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
