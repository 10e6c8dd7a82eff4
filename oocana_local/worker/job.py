"""One job, start to end: inputs, module, ``main``, and exactly one ``BlockFinished``.

How ``main`` is called and how its end finishes the job is ``context/call.py``, shared
with the kit. Here: the job's environment, folders, secrets, inputs and module.
"""

from __future__ import annotations

from ..context import Context, ValueStore
from ..context.call import MainCaller, user_traceback
from ..context.values import decode_inputs
from ..wire import names
from ..wire.errors import JobSetupError
from ..wire.values import has_secret_placeholder
from . import capture, coverage_hook, hooks, loader
from .environment import JobEnvironment, ensure_dirs, job_env

TYPE_CHECKING = False  # typing costs a fresh worker milliseconds: annotations only
if TYPE_CHECKING:
    from typing import Any

    from .sink import SocketSink

__all__ = ["JobRunner", "user_traceback"]


def _may_need_secrets(job: dict[str, Any]) -> bool:
    """Whether the inputs may hold a secret or credential (then ``oocana_local.secrets``
    is imported and walks them); cheap for the usual job that has none. The engine names
    the inputs whose schema asks for it (``wire/job.py``)."""
    return bool(job.get("secret_handles")) or not job.get("placeholder_free") and \
        has_secret_placeholder(job["inputs"].values())


class JobRunner:
    def __init__(self, sink: SocketSink, store: ValueStore, *, threaded: bool = False):
        self.sink = sink
        self.store = store
        self.env = JobEnvironment()
        self.caller = MainCaller()
        self.threaded = threaded
        """One job among others running at once (a service call on its own thread)."""
        self.flush = capture.flush_thread if threaded else capture.flush

    def run(self, job: dict[str, Any]) -> None:
        if self.threaded:
            capture.begin_thread(job["job_id"])
        else:
            capture.begin(job["job_id"])
        self.env.apply(job_env(job))
        context = None
        try:
            ensure_dirs(job)
            raw = job.get("inputs")
            capture.hide(job.get("masks") or [])  # secrets upstream blocks passed on
            if raw and (job.get("inputs_def_patch") or _may_need_secrets(job)):
                from ..secrets import resolve_inputs

                raw, secrets = resolve_inputs(raw, job.get("inputs_def"),
                                              job.get("inputs_def_patch"),
                                              job.get("secrets_file"))
                if secrets:  # the engine masks its records of this job's values
                    self.sink.send({"type": names.BLOCK_SECRETS, "job_id": job["job_id"],
                                    "values": secrets})
                capture.hide(secrets)
            inputs = decode_inputs(raw, self.store, job.get("blobs"))
            context = Context.from_job(job, inputs=inputs, sink=self.sink, store=self.store)
            context._before_finish.append(self.flush)
            if coverage_hook.active():  # saved before the engine can see the job end
                context._before_finish.append(coverage_hook.save)
            hooks.job_started(context, self.threaded)
            if job.get("service") is not None:  # a call of a long-lived service's block
                from .service import service_function

                fn = service_function(job)
            else:
                fn = loader.load_function(job)
        except BaseException as exc:
            if isinstance(exc, JobSetupError):
                error = str(exc)
            else:
                error = user_traceback(exc)
            if context is None:
                context = Context.from_job(job, inputs={}, sink=self.sink, store=self.store)
                context._before_finish.append(self.flush)
            if coverage_hook.active():
                context._before_finish.append(coverage_hook.save)
            context._end(error=error)
            if context is hooks.current_context():  # started, then its setup failed
                hooks.job_ended(self.threaded)
            return
        try:
            self.caller.call(fn, context)
        finally:
            hooks.job_ended(self.threaded)
