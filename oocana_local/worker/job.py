"""One job, start to end: inputs, module, ``main``, and exactly one ``BlockFinished``.

How ``main`` ends decides the finish:

* returns a dict -> finish with it as result (undeclared keys dropped with a warning);
* returns None -> finish with no result; ``context.keepAlive`` -> wait for
  ``context.finish`` (from any thread or task);
* returns anything else -> error ``return object needs to be a dictionary, ...``;
* raises -> error = the traceback from the block's own frames on;
* ``exit()`` / ``sys.exit()`` with None or 0 -> success, any other status -> error
  ``block call exit with message: <status>``.

An async ``main`` runs on the worker's one event loop. Tasks it started are awaited before
the finish; whatever is still running once the job finished (e.g. after keepAlive) is
cancelled, so nothing of a job runs on into the next one.
"""

from __future__ import annotations

import os
import threading
from types import CoroutineType

from ..context import KEEP_ALIVE, Context, ValueStore
from ..context.values import InputValueError, decode_inputs
from . import capture, hooks, loader
from .calling import call_args, is_async
from .environment import JobEnvironment, ensure_dirs, job_env

TYPE_CHECKING = False  # typing costs a fresh worker milliseconds: annotations only
if TYPE_CHECKING:
    from typing import Any

    from .sink import SocketSink

__all__ = ["JobRunner", "user_traceback"]

_OWN_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_ASYNCIO_DIR = os.path.join(os.path.dirname(os.__file__), "asyncio") + os.sep
_LEFTOVER_GRACE = 1.0  # seconds a cancelled leftover task gets to clean up


def _is_own_frame(filename: str) -> bool:
    """Frames of the worker, of asyncio running an async main, of the import system."""
    return filename.startswith((_OWN_DIR, _ASYNCIO_DIR, "<frozen importlib"))


def user_traceback(exc: BaseException) -> str:
    """The traceback as Python prints it, minus the worker's frames before the block's."""
    import traceback

    tb = exc.__traceback__
    while tb is not None and _is_own_frame(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    if tb is None and not isinstance(exc, SyntaxError):
        tb = exc.__traceback__  # no block frame at all: show everything
    return "".join(traceback.format_exception(type(exc), exc, tb))


def _may_need_secrets(job: dict[str, Any]) -> bool:
    """Whether the inputs may hold a secret or credential (then ``oocana_local.secrets``
    is imported and walks them); cheap for the usual job that has none."""
    for definition in (job.get("inputs_def") or {}).values():
        schema = definition.get("json_schema") if isinstance(definition, dict) else None
        if isinstance(schema, dict) and ("oomol/secret" in repr(schema)
                                         or schema.get("contentMediaType") == "oomol/credential"):
            return True
    return _has_placeholder(job["inputs"].values())


def _has_placeholder(values: Any) -> bool:
    for value in values:
        t = type(value)
        if t is str:
            if value.startswith("${{OO_SECRET:"):
                return True
        elif t is dict:
            if "__OOMOL_TYPE__" not in value and _has_placeholder(value.values()):
                return True
        elif t is list and _has_placeholder(value):
            return True
    return False


def _where(fn: Any) -> str:
    """``main in /path/to/main.py``: the function and the file it was written in."""
    code = getattr(fn, "__code__", None)
    name = getattr(fn, "__name__", "main")
    return f"{name} in {code.co_filename}" if code is not None else name


def _exit_error(code: Any) -> str | None:
    if code is None or (isinstance(code, int) and code == 0):
        return None
    return f"block call exit with message: {code}"


class JobRunner:
    def __init__(self, sink: SocketSink, store: ValueStore):
        self.sink = sink
        self.store = store
        self.env = JobEnvironment()
        self._loop: Any = None

    def run(self, job: dict[str, Any]) -> None:
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
                    self.sink.send({"type": "BlockSecrets", "job_id": job["job_id"],
                                    "values": secrets})
                capture.hide(secrets)
            inputs = decode_inputs(raw, self.store, job.get("blobs"))
            context = Context.from_job(job, inputs=inputs, sink=self.sink, store=self.store)
            context._before_finish.append(capture.flush)
            hooks.job_started(context)
            fn = loader.load_function(job)
        except BaseException as exc:
            if isinstance(exc, (loader.LoadError, InputValueError)) or \
                    type(exc).__name__ == "SecretError":
                error = str(exc)
            else:
                error = user_traceback(exc)
            if context is None:
                context = Context.from_job(job, inputs={}, sink=self.sink, store=self.store)
                context._before_finish.append(capture.flush)
            context._end(error=error)
            return
        try:
            self._call(fn, context)
        finally:
            hooks.job_ended()

    def _call(self, fn: Any, context: Context) -> None:
        try:
            args = call_args(fn, context)
            if is_async(fn):
                returned = self._run_async(fn(*args), context)
            else:
                returned = fn(*args)
                if isinstance(returned, CoroutineType):  # e.g. a decorated async main
                    returned = self._run_async(returned, context)
        except SystemExit as exc:
            context._end(error=_exit_error(exc.code))
            return
        except BaseException as exc:
            error = user_traceback(exc)
            if not context._end(error=error):
                context.error(error)  # finished already; still say what went wrong
            return
        self._settle(returned, context, fn)

    def _settle(self, returned: Any, context: Context, fn: Any = None) -> None:
        if returned is KEEP_ALIVE:
            done = threading.Event()
            context._after_finish.append(done.set)
            if not context.finished:
                done.wait()
        elif returned is None:
            context._end()
        elif isinstance(returned, dict):
            context.finish(result=returned)
        else:
            error = (f"return object needs to be a dictionary, but get type: {type(returned)}"
                     f" ({_where(fn)} must return a dict of output handles, or None)")
            if not context._end(error=error):
                context.send_warning("finish() was called again; ignored")

    # -- async main ---------------------------------------------------------------------

    def _event_loop(self) -> Any:
        import asyncio

        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.new_event_loop()
        return self._loop

    def _run_async(self, coro: Any, context: Context) -> Any:
        import asyncio

        loop = self._event_loop()
        before = asyncio.all_tasks(loop)

        async def drive() -> Any:
            me = asyncio.current_task()
            finished = loop.create_future()

            def wake() -> None:
                def settle() -> None:
                    if not finished.done():
                        finished.set_result(None)
                try:
                    loop.call_soon_threadsafe(settle)
                except RuntimeError:  # the loop is closed
                    pass

            context._after_finish.append(wake)
            if context.finished:
                finished.set_result(None)
            returned = await coro
            if returned is KEEP_ALIVE:
                await finished
            else:  # the job's own tasks are part of it
                while not finished.done():
                    pending = [t for t in asyncio.all_tasks()
                               if t is not me and t not in before and not t.done()]
                    if not pending:
                        break
                    await asyncio.wait([*pending, finished],
                                       return_when=asyncio.FIRST_COMPLETED)
            return returned

        try:
            return loop.run_until_complete(drive())
        finally:
            self._cancel_leftovers(loop, before)

    @staticmethod
    def _cancel_leftovers(loop: Any, before: set[Any]) -> None:
        import asyncio

        leftovers = [t for t in asyncio.all_tasks(loop) if t not in before and not t.done()]
        if not leftovers:
            return
        for task in leftovers:
            task.cancel()
        try:
            loop.run_until_complete(asyncio.wait(leftovers, timeout=_LEFTOVER_GRACE))
        except BaseException:  # a leftover that exits or raises on cancel: it is over anyway
            pass

