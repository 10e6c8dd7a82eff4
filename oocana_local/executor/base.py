"""What the scheduler asks of an executor: run a job, report what it says, end it.

``Executor`` is the one abstract runner; ``WorkerPool`` (warm subprocesses) is the
concrete one. A job ends in exactly one ``JobOutcome``:

* ``done``       the block finished (``result`` may be None);
* ``failed``     the block raised or finished with an error (``error`` is its traceback);
* ``crashed``    the worker process died under the job (``error`` names exit code/signal);
* ``cancelled``  the scheduler cancelled it (a timeout, another node's failure, Ctrl-C).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

__all__ = ["Job", "JobOutcome", "JobHandler", "Executor"]


@dataclass
class Job:
    """One run of a python task block, with everything the worker needs."""

    job_id: str
    session_id: str
    stacks: list[dict[str, str]]
    node_id: str
    dir: str
    entry: str | None
    function: str
    source: str | None
    inputs: dict[str, Any]
    inputs_def: dict[str, dict[str, Any]]
    outputs_def: dict[str, dict[str, Any]]
    session_dir: str
    tmp_dir: str
    tmp_pkg_dir: str
    package_name: str
    block_path: str | None = None
    pkg_dir: str | None = None
    package_dir: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    spawn_key: str | None = None
    """Jobs with a spawn key run on a worker of their own, kept for that key."""
    nested: bool = False
    """Started by another job's ``context.run_block`` (which holds its worker meanwhile)."""
    secrets_file: str | None = None
    """Where the worker resolves ``${{OO_SECRET:...}}`` and ``oomol/secret`` inputs."""
    inputs_def_patch: dict[str, list[dict[str, Any]]] | None = None
    """Flow ``schema_overrides`` per input handle (``[{path, schema}]``)."""
    masks: list[str] | None = None
    """Secret values blocks of the run received: the worker masks them in what this job
    says (its inputs may carry one, inline or inside a value held by a worker)."""

    def wire(self) -> dict[str, Any]:
        """The job as sent to a worker (without ``blobs``, which the pool adds)."""
        return {
            "job_id": self.job_id, "session_id": self.session_id, "stacks": self.stacks,
            "node_id": self.node_id, "block_path": self.block_path, "dir": self.dir,
            "entry": self.entry, "function": self.function, "source": self.source,
            "inputs": self.inputs, "inputs_def": self.inputs_def,
            "outputs_def": self.outputs_def, "session_dir": self.session_dir,
            "tmp_dir": self.tmp_dir, "tmp_pkg_dir": self.tmp_pkg_dir,
            "pkg_dir": self.pkg_dir, "package_name": self.package_name,
            "package_dir": self.package_dir, "env": self.env,
            "secrets_file": self.secrets_file, "inputs_def_patch": self.inputs_def_patch,
            "masks": self.masks,
        }


@dataclass
class JobOutcome:
    status: Literal["done", "failed", "crashed", "cancelled"]
    result: dict[str, Any] | None = None
    error: str | None = None


class JobHandler(Protocol):
    """The scheduler's side of a running job."""

    def on_message(self, message: dict[str, Any]) -> None:
        """Every worker message of the job but ``BlockFinished`` and ``BlockRequest``."""

    async def on_request(self, message: dict[str, Any]) -> Any:
        """Answer a ``BlockRequest``; raise to answer with an error."""


class Executor(abc.ABC):
    """Runs jobs somewhere; the scheduler never blocks on it."""

    @abc.abstractmethod
    async def start(self) -> None:
        """Get ready (e.g. warm a first worker); cheap to call twice."""

    @abc.abstractmethod
    async def run(self, job: Job, handler: JobHandler) -> JobOutcome:
        """Run the job to its end. Cancelling the awaiting task cancels the job
        (its worker is killed and replaced) and re-raises ``CancelledError``."""

    @abc.abstractmethod
    async def free(self, keys: list[str]) -> None:
        """Forget stored values (var references) no longer reachable."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop every worker; nothing is left running afterwards."""
