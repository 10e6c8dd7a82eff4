"""How a block's ``main`` is called and how what it does ends the job: one rule, used by
the worker for every job and by the kit's ``call_block``.

Arguments, by the number of parameters, as oocana does: 0 -> ``main()``; 1 ->
``main(context)`` if annotated ``Context`` (the class itself, or the string ``"Context"``
that ``from __future__ import annotations`` leaves), else ``main(inputs)``; 2 or more ->
``main(inputs, context)``.

How ``main`` ends decides the finish:

* returns a dict -> finish with it as result (undeclared keys dropped with a warning);
* returns None -> finish with no result; ``context.keepAlive`` -> wait for
  ``context.finish`` (from any thread or task);
* returns anything else -> error ``return object needs to be a dictionary, ...``;
* raises -> error = the traceback from the block's own frames on;
* ``exit()`` / ``sys.exit()`` with None or 0 -> success, any other status -> error
  ``block call exit with message: <status>``.

An async ``main`` runs on the caller's one event loop. Tasks it started are awaited before
the finish; whatever is still running once the job finished (e.g. after keepAlive) is
cancelled, so nothing of a job runs on into the next one.
"""

from __future__ import annotations

import os
import threading
from types import CoroutineType, FunctionType

from .context import KEEP_ALIVE, Context

TYPE_CHECKING = False  # typing costs a fresh worker milliseconds: annotations only
if TYPE_CHECKING:
    from typing import Any

__all__ = ["MainCaller", "call_args", "is_async", "user_traceback", "exit_error"]

_OWN_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_ASYNCIO_DIR = os.path.join(os.path.dirname(os.__file__), "asyncio") + os.sep
_LEFTOVER_GRACE = 1.0  # seconds a cancelled leftover task gets to clean up
_CO_COROUTINE = 0x80


def _is_own_frame(filename: str) -> bool:
    """Frames of oocana-local, of asyncio running an async main, of the import system."""
    return filename.startswith((_OWN_DIR, _ASYNCIO_DIR, "<frozen importlib"))


def user_traceback(exc: BaseException) -> str:
    """The traceback as Python prints it, minus the engine's frames before the block's."""
    import traceback

    tb = exc.__traceback__
    while tb is not None and _is_own_frame(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    if tb is None and not isinstance(exc, SyntaxError):
        tb = exc.__traceback__  # no block frame at all: show everything
    return "".join(traceback.format_exception(type(exc), exc, tb))


def _where(fn: Any) -> str:
    """``main in /path/to/main.py``: the function and the file it was written in."""
    code = getattr(fn, "__code__", None)
    name = getattr(fn, "__name__", "main")
    return f"{name} in {code.co_filename}" if code is not None else name


def exit_error(code: Any) -> str | None:
    if code is None or (isinstance(code, int) and code == 0):
        return None
    return f"block call exit with message: {code}"

def _is_context(annotation: Any) -> bool:
    if annotation is Context:
        return True
    if isinstance(annotation, str):
        return annotation == "Context" or annotation.endswith(".Context")
    return False


def _signature(fn: Any) -> tuple[int, Any]:
    """(number of parameters, annotation of the first one)."""
    if type(fn) is FunctionType and not hasattr(fn, "__wrapped__"):
        code = fn.__code__
        if code.co_flags & 0x0C == 0 and code.co_kwonlyargcount == 0:  # no *args, **kwargs
            count = code.co_argcount
            first = fn.__annotations__.get(code.co_varnames[0]) if count else None
            return count, first
    import inspect

    parameters = list(inspect.signature(fn).parameters.values())
    first = parameters[0].annotation if parameters else None
    return len(parameters), first


def call_args(fn: Any, context: Context) -> tuple[Any, ...]:
    count, first = _signature(fn)
    if count == 0:
        return ()
    if count == 1:
        return (context,) if _is_context(first) else (context.inputs,)
    return (context.inputs, context)


def is_async(fn: Any) -> bool:
    if type(fn) is FunctionType:
        return bool(fn.__code__.co_flags & _CO_COROUTINE)
    import inspect

    return inspect.iscoroutinefunction(fn)


class MainCaller:
    """Calls ``main`` functions one at a time, on one event loop for the async ones.

    ``reraise``: an exception raised by ``main`` propagates instead of failing the job
    (the kit shows it to pytest as it is). ``keep_alive_timeout``: how long a keepAlive
    job may wait for ``context.finish`` before ``TimeoutError`` (None: for ever; the
    engine's node timeout ends a worker's job).
    """

    def __init__(self, *, reraise: bool = False, keep_alive_timeout: float | None = None):
        self.reraise = reraise
        self.keep_alive_timeout = keep_alive_timeout
        self._loop: Any = None

    def call(self, fn: Any, context: Context) -> None:
        try:
            args = call_args(fn, context)
            if is_async(fn):
                returned = self._run_async(fn(*args), context)
            else:
                returned = fn(*args)
                if isinstance(returned, CoroutineType):  # e.g. a decorated async main
                    returned = self._run_async(returned, context)
        except SystemExit as exc:
            context._end(error=exit_error(exc.code))
            return
        except BaseException as exc:
            if self.reraise or isinstance(exc, _KeepAliveTimeout):
                raise
            error = user_traceback(exc)
            if not context._end(error=error):
                context.error(error)  # finished already; still say what went wrong
            return
        self._settle(returned, context, fn)

    def close(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.close()

    def _settle(self, returned: Any, context: Context, fn: Any) -> None:
        if returned is KEEP_ALIVE:
            done = threading.Event()
            context._after_finish.append(done.set)
            if not context.finished and not done.wait(self.keep_alive_timeout):
                raise _KeepAliveTimeout(self.keep_alive_timeout)
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
        timeout = self.keep_alive_timeout

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
                try:
                    await asyncio.wait_for(asyncio.shield(finished), timeout)
                except asyncio.TimeoutError:
                    raise _KeepAliveTimeout(timeout) from None
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


class _KeepAliveTimeout(TimeoutError):
    def __init__(self, timeout: float | None):
        super().__init__(f"main returned context.keepAlive and did not call "
                         f"context.finish() within {timeout} s")
