"""``InProcessExecutor``: jobs run on threads of the engine's own process. For tests of
the scheduler, where a worker process per job would cost more than the rule under test
(the ``scheduler_engine`` fixture); it lives with the tests, being the one executor that
runs the worker side's code in the engine's process.

A job is loaded and called by the worker's own code (``worker/loader.py``,
``context/call.py``) with a real ``Context`` whose messages go straight to the job's
handler on the engine's loop. Non-JSON values stay in one shared ``ValueStore``, as if
every job ran on one worker. What it cannot do, and real workers do: stop a running
block (a cancelled or timed-out job is abandoned, its thread runs on and is ignored),
survive a crash of the block, isolate environment variables and ``sys.path`` between
blocks, or capture output a block writes below ``sys.stdout``.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from oocana_local._shim import ensure_oocana_importable
from oocana_local.context import Context, ValueStore
from oocana_local.context.call import MainCaller, user_traceback
from oocana_local.context.values import decode_inputs
from oocana_local.executor.base import Executor, Job, JobHandler, Outcome, unsupported
from oocana_local.executor.requests import answer_request
from oocana_local.states import OutcomeStatus
from oocana_local.wire import names
from oocana_local.wire.errors import JobSetupError
from oocana_local.worker import loader
from oocana_local.worker.environment import ensure_dirs

__all__ = ["InProcessExecutor"]

_job = threading.local()  # which job's output a thread's print belongs to


class _ThreadOutput(io.TextIOBase):
    """``sys.stdout`` / ``sys.stderr`` while the executor runs: a job thread's lines go to
    its job as ``BlockLog``; any other thread writes where it wrote before."""

    def __init__(self, stdio: str, before: Any):
        self.stdio = stdio
        self.before = before

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        sink: _JobSink | None = getattr(_job, "sink", None)
        if sink is None:
            return int(self.before.write(text))
        sink.write(self.stdio, text)
        return len(text)

    def flush(self) -> None:
        if getattr(_job, "sink", None) is None:
            self.before.flush()


class _JobSink:
    """The ``Context``'s sink for one job: messages to the handler, on the engine loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, job: Job, handler: JobHandler,
                 done: asyncio.Future[Outcome]):
        self.loop = loop
        self.job = job
        self.handler = handler
        self.done = done
        self.partial = {"stdout": "", "stderr": ""}
        self._watchers: dict[str, Callable[[dict[str, Any], dict[str, bytes] | None], None]] = {}

    def _on_loop(self, message: dict[str, Any]) -> None:
        if self.done.done():
            return  # abandoned (cancelled, timed out): nobody listens any more
        if message["type"] == names.BLOCK_FINISHED:
            error = message.get("error")
            self.done.set_result(Outcome(OutcomeStatus.FAILED, error=error) if error is not None
                                 else Outcome(OutcomeStatus.DONE, result=message.get("result")))
        else:
            self.handler.on_event(message)

    def send(self, message: dict[str, Any]) -> None:
        if message["type"] == names.BLOCK_FINISHED:
            self.flush()
        self.loop.call_soon_threadsafe(self._on_loop, message)

    def write(self, stdio: str, text: str) -> None:
        lines = (self.partial[stdio] + text).split("\n")
        self.partial[stdio] = lines.pop()
        for line in lines:
            self.send({"type": names.BLOCK_LOG, "job_id": self.job.job_id, "log": line,
                       "stdio": stdio})

    def flush(self) -> None:
        for stdio, partial in self.partial.items():
            if partial:
                self.partial[stdio] = ""
                self.loop.call_soon_threadsafe(self._on_loop, {
                    "type": names.BLOCK_LOG, "job_id": self.job.job_id, "log": partial,
                    "stdio": stdio})

    # -- requests: answered by the handler on the engine loop, as a worker's are ----------

    def _answer(self, message: dict[str, Any]) -> Any:
        watcher = self._watchers.get(message["request_id"])
        events = (lambda event: watcher(event, None)) if watcher else (lambda event: None)
        return asyncio.run_coroutine_threadsafe(
            answer_request(self.handler, message, events), self.loop)

    def request(self, message: dict[str, Any]) -> dict[str, Any]:
        return self._answer(message).result()

    async def arequest(self, message: dict[str, Any]) -> dict[str, Any]:
        return await asyncio.wrap_future(self._answer(message))

    def watch(self, request_id: str,
              on_event: Callable[[dict[str, Any], dict[str, bytes] | None], None]
              ) -> Callable[[], None]:
        self._watchers[request_id] = on_event

        def unwatch() -> None:
            self._watchers.pop(request_id, None)

        return unwatch


class InProcessExecutor(Executor):
    def __init__(self, max_threads: int = 32):
        self.store = ValueStore()
        self._threads = ThreadPoolExecutor(max_threads, thread_name_prefix="oocana-job")
        self._streams: tuple[Any, Any] | None = None

    async def start(self) -> None:
        ensure_oocana_importable()
        if self._streams is None:
            self._streams = (sys.stdout, sys.stderr)
            sys.stdout = _ThreadOutput("stdout", sys.stdout)  # type: ignore[assignment]
            sys.stderr = _ThreadOutput("stderr", sys.stderr)  # type: ignore[assignment]

    async def _run(self, job: Job, handler: JobHandler) -> Outcome:
        await self.start()
        loop = asyncio.get_running_loop()
        handler.on_start(False)
        if job.spec.executor != "python":
            return unsupported(job, "the in-process executor runs python")
        done: asyncio.Future[Outcome] = loop.create_future()
        sink = _JobSink(loop, job, handler, done)
        self._threads.submit(self._call, job.wire(), sink)
        return await done

    def _call(self, wire: dict[str, Any], sink: _JobSink) -> None:
        _job.sink = sink
        caller = MainCaller()
        try:
            try:
                ensure_dirs(wire)
                inputs = decode_inputs(wire["inputs"], self.store, None)
                context = Context.from_job(wire, inputs=inputs, sink=sink, store=self.store)
                fn = loader.load_function(wire)
            except BaseException as exc:
                error = str(exc) if isinstance(exc, JobSetupError) else user_traceback(exc)
                sink.send({"type": names.BLOCK_FINISHED, "job_id": wire["job_id"],
                           "error": error})
                return
            caller.call(fn, context)
        finally:
            caller.close()
            _job.sink = None

    async def free(self, keys: list[str]) -> None:
        self.store.free(keys)

    def holds(self, keys: list[str]) -> bool:
        return all(key in self.store for key in keys)

    async def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)
        if self._streams is not None:
            with contextlib.suppress(Exception):
                sys.stdout, sys.stderr = self._streams
            self._streams = None
