"""The worker's two threads: a reader that handles every engine message at once, and the
main thread that runs one job at a time. (A service's worker runs each call on a thread
of its own instead: calls of one service run at the same time.)

The reader queues ``run`` jobs for the main thread and answers the rest itself
(``response``, ``run_block_event``, ``export``, ``free``, ``revoke``, ``shutdown``), so
values can be exported while a job runs. The engine may send a job while another runs
(``pool.py``: sent ahead); ``revoke`` takes it back as long as it has not begun. When the engine's end of the socket closes, the worker exits
at once: the engine died and nobody is left to report to.
"""

from __future__ import annotations

import faulthandler
import os
import sys
import threading
from _queue import SimpleQueue

from ..context import ValueStore
from ..wire import names
from . import blobs, capture, coverage_hook, debug, hooks, loader
from .channel import Channel
from .job import JobRunner, user_traceback
from .sink import SocketSink

TYPE_CHECKING = False  # typing costs a fresh worker milliseconds: annotations only
if TYPE_CHECKING:
    from typing import Any

__all__ = ["serve"]

_SHIM = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "_shim")


def _prepare_interpreter() -> None:
    # -c put the engine's cwd (or the package root) first; blocks must not import from it.
    root = os.path.dirname(os.path.dirname(_SHIM))
    if sys.path and sys.path[0] in ("", os.getcwd(), root):
        first = sys.path.pop(0)
        if first == root and root not in sys.path:
            sys.path.append(root)
    sys.path.insert(0, _SHIM)  # `from oocana import Context` resolves to ours
    sys.argv = ["oocana-local-worker"]
    loader.install_finder()
    hooks.install()  # plt.show(), fig.show(), Image.show() send previews; imports nothing
    debug.install_breakpoint_hook()
    faulthandler.enable(file=sys.__stderr__ or sys.stderr)  # a segfault leaves its traceback in the log


class Worker:
    def __init__(self, fd: int):
        os.set_inheritable(fd, False)  # a block's subprocesses must not keep the socket open
        self.channel = Channel(fd)
        self.store = ValueStore(dump=blobs.dump, load=blobs.load)
        blobs.start_arena()  # exports reuse this worker's shared-memory segments
        self.sink = SocketSink(self.channel)
        self.runner = JobRunner(self.sink, self.store)
        self.jobs: SimpleQueue[dict[str, Any]] = SimpleQueue()
        self.waiting: set[Any] = set()
        """Ids of the queued jobs that have not begun; a revoked one leaves it and is
        skipped when its turn comes (``revoked``)."""
        self.revoked: dict[Any, int] = {}
        """Revoked copies of a job still in the queue, by id: a job given back may be sent
        again, and given back again, before its first copy's turn came."""
        self.begin = threading.Lock()
        """Guards both: a job begins, or is revoked, never both."""

    def read_forever(self) -> None:
        self.channel.each(self.handle, capture.emit)
        blobs.close_arena()  # the engine's end closed: it died, nobody is left to report to
        os._exit(0)

    def handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == names.RUN:
            job = message["job"]
            if job.get("service") is not None:  # service calls run at once, as in oocana
                threading.Thread(target=self.run_call, args=(job,), daemon=True,
                                 name=f"oocana-call-{job.get('job_id')}").start()
            else:
                with self.begin:
                    self.waiting.add(job.get("job_id"))
                self.jobs.put(job)
        elif kind == names.REVOKE:
            self.revoke(message.get("job_id"))
        elif kind == names.RESPONSE:
            self.sink.deliver_response(message)
        elif kind == names.RUN_BLOCK_EVENT:
            self.sink.deliver_event(message)
        elif kind == names.EXPORT:  # pickling can take long: keep the reader free
            threading.Thread(target=self.export, args=(message,), name="oocana-export",
                             daemon=True).start()
        elif kind == names.FREE:
            self.store.free(message.get("keys") or [])
        elif kind == names.SHUTDOWN:
            blobs.close_arena()
            os._exit(0)

    def revoke(self, job_id: Any) -> None:
        with self.begin:
            revoked = job_id in self.waiting
            if revoked:
                self.waiting.discard(job_id)
                self.revoked[job_id] = self.revoked.get(job_id, 0) + 1
        self.channel.send({"type": names.REVOKED, "job_id": job_id, "revoked": revoked})

    def export(self, message: dict[str, Any]) -> None:
        exported, errors = self.store.export(list(message.get("keys") or []),
                                             keep=bool(message.get("keep")))
        reply: dict[str, Any] = {"type": names.EXPORTED, "request_id": message.get("request_id"),
                                 "blobs": exported}
        if errors:
            reply["errors"] = errors
        self.channel.send(reply)

    def run_call(self, job: dict[str, Any]) -> None:
        """One call of the service this worker serves, on a thread of its own: its own
        runner (event loop), its output attributed by the thread (``capture``)."""
        runner = JobRunner(self.sink, self.store, threaded=True)
        try:
            runner.run(job)
        except BaseException as exc:  # a bug of ours: still end the job
            self.channel.send({"type": names.BLOCK_FINISHED, "job_id": job.get("job_id"),
                               "error": "oocana-local worker failed:\n" + user_traceback(exc)})
        finally:
            runner.caller.close()

    def run_forever(self) -> None:
        jobs, runner, begin, waiting, revoked = (self.jobs, self.runner, self.begin,
                                                 self.waiting, self.revoked)
        while True:
            job = jobs.get()
            with begin:
                job_id = job.get("job_id")
                copies = revoked.pop(job_id, 0)
                if copies:  # this copy was given back to the engine before it began
                    if copies > 1:
                        revoked[job_id] = copies - 1
                    continue
                waiting.discard(job_id)
            debug.before_job()
            try:
                runner.run(job)
            except BaseException as exc:  # a bug of ours: still end the job
                self.channel.send({"type": names.BLOCK_FINISHED, "job_id": job.get("job_id"),
                                   "error": "oocana-local worker failed:\n"
                                            + user_traceback(exc)})


def serve(fd: int) -> None:
    coverage_hook.start()  # before any thread starts, so that each is measured
    worker = Worker(fd)
    _prepare_interpreter()
    capture.install(worker.channel)
    threading.Thread(target=worker.read_forever, name="oocana-reader", daemon=True).start()
    worker.run_forever()
