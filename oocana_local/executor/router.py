"""``ExecutorRouter``: one executor per block language, chosen by ``Job.executor``.

``python`` jobs go to the given executor (the ``WorkerPool``); ``nodejs`` and ``shell``
executors are created on their first job, so Python-only runs pay nothing for them; so is
the ``ServiceExecutor``, which takes every job of a service block (``JobSpec.service``).
A value reference made in one language cannot reach a block of another: such a job fails
here with an error naming both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..states import OutcomeStatus
from ..wire.values import is_var_ref
from .base import Executor, Job, JobHandler, Outcome, unsupported

__all__ = ["ExecutorRouter", "LANGUAGES"]

LANGUAGES = {"python": "Python", "nodejs": "Node.js", "shell": "shell"}


class ExecutorRouter(Executor):
    def __init__(self, python: Executor, env: dict[str, str] | None = None):
        self.executors: dict[str, Executor] = {"python": python}
        self.env = dict(env or {})

    @property
    def python(self) -> Any:
        """The executor of Python jobs (the ``WorkerPool``, unless one was given)."""
        return self.executors["python"]

    def executor_for(self, name: str) -> Executor | None:
        executor = self.executors.get(name)
        if executor is None:
            if name == "service":
                from .services import ServiceExecutor

                executor = ServiceExecutor(env=self.env)
            elif name == "nodejs":
                from .node_pool import NodePool

                executor = NodePool(env=self.env)
            elif name == "shell":
                from .shell import ShellExecutor

                executor = ShellExecutor(env=self.env)
            else:
                return None
            self.executors[name] = executor
        return executor

    async def start(self) -> None:
        """Start the Python pool's first worker: a machine where none can start (out of
        file descriptors, say) is told before the run begins. The others start on their
        first job."""
        await self.executors["python"].start()

    async def _run(self, job: Job, handler: JobHandler) -> Outcome:
        """Dispatch to the language's executor (the timeout is this router's ``run``'s)."""
        name = job.spec.executor
        executor = self.executor_for("service" if job.spec.service is not None else name)
        if executor is None:
            handler.on_start(False)
            return unsupported(job, "it runs python, nodejs and shell")
        problem = _foreign_value(job, name)
        if problem is not None:
            handler.on_start(False)
            return Outcome(OutcomeStatus.FAILED, error=problem)
        if name != "python":
            await executor.start()
        return _hinted(await executor._run(job, handler), job)

    def submit(self, job: Job, handler: JobHandler, done: Callable[[Outcome], None]
               ) -> Callable[[], None]:
        """A Python job without a time limit goes straight to the pool's ``submit``."""
        if job.spec.executor != "python" or job.spec.service is not None or job.timeout \
                or _foreign_value(job, "python") is not None:
            return super().submit(job, handler, done)
        return self.executors["python"].submit(job, handler,
                                               lambda outcome: done(_hinted(outcome, job)))

    def prestart(self, job: Job) -> None:
        """Start a service before its first call (``start_at``; ``runtime/prestart.py``)."""
        services = self.executor_for("service")
        if services is not None:
            services.prestart(job)

    async def session_ended(self, session_id: str) -> None:
        """A run's session is over: stop the services that live as long as it, and let
        the processes of its ``spawn: true`` nodes go."""
        for executor in list(self.executors.values()):
            await executor.session_ended(session_id)

    async def free(self, keys: list[str]) -> None:
        for executor in self.executors.values():
            await executor.free(keys)

    def holds(self, keys: list[str]) -> bool:
        return all(any(e.holds([key]) for e in self.executors.values()) for key in keys)

    async def close(self) -> None:
        for executor in list(self.executors.values()):
            await executor.close()


def _hinted(outcome: Outcome, job: Job) -> Outcome:
    """A failure for want of a module says how to install it."""
    if outcome.status is OutcomeStatus.FAILED and outcome.error:
        from ..install_hints import missing_module_hint

        hint = missing_module_hint(outcome.error, job.spec.dir)
        if hint:
            outcome.error = f"{outcome.error.rstrip()}\n{hint}"
    return outcome


def _foreign_value(job: Job, language: str) -> str | None:
    for handle, value in job.inputs.items():
        if not is_var_ref(value):
            continue
        made_by = str(value["value"].get("executor") or "python")
        if made_by != language:
            return (f"input {handle!r} is a {LANGUAGES.get(made_by, made_by)} value (oomol/var "
                    f"made by a {made_by} block) and cannot be sent to a "
                    f"{LANGUAGES.get(language, language)} block: only JSON values cross "
                    f"languages; output JSON from the upstream block instead")
    return None
