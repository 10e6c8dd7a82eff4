"""The worker side of a service (oocana-python.md §3.8): the service object, made once.

A service worker is a pool worker that only serves one service (``executor/services.py``).
On its first call it loads the service's entry and runs ``function(service)`` once, on a
thread of its own as oocana does, so a function that goes on running (a server loop, a
model loading) does not hold the call up. That function sets ``service.block_handler``,
either a dict ``{block_name: fn(inputs, context)}`` or one callable ``fn(block_name, inputs,
context)``; calls wait for it (and, with ``waiting_ready_notify``, for ``notify_ready()``).
Every call then runs the handler of its block with the Context any block gets, so state
the service keeps lives as long as this process.
"""

from __future__ import annotations

import functools
import threading

from ..context.service import ServiceContextAbstractClass
from ..wire.errors import JobSetupError
from . import capture, loader

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from ..context.service import BlockHandler, ServiceMessage

__all__ = ["Service", "service_function"]


class Service(ServiceContextAbstractClass):
    """What ``function(service)`` receives."""

    def __init__(self, name: str, directory: str):
        self.name = name
        self.dir = directory
        self._block_handler: Any = None
        self._waiting_ready_notify = False
        self._changed = threading.Condition()
        self._ready = False
        self._start_ended = False
        self._start_error: BaseException | None = None
        self.message_callbacks: list[Callable[[ServiceMessage], Any]] = []

    @property
    def block_handler(self) -> BlockHandler:
        handler: BlockHandler = self._block_handler
        return handler

    @block_handler.setter
    def block_handler(self, value: BlockHandler) -> None:
        with self._changed:
            self._block_handler = value
            if not self._waiting_ready_notify:
                self._ready = True
            self._changed.notify_all()

    @property
    def waiting_ready_notify(self) -> bool:
        """Set (before ``block_handler``) to hold every call until ``notify_ready()``:
        for a service that gets ready on a thread of its own."""
        return self._waiting_ready_notify

    @waiting_ready_notify.setter
    def waiting_ready_notify(self, value: bool) -> None:
        self._waiting_ready_notify = bool(value)

    def __setitem__(self, key: str, value: Any) -> None:
        if key != "block_handler":
            raise KeyError(f"service[{key!r}] = ...: only service['block_handler'] can be set")
        self.block_handler = value

    def notify_ready(self) -> None:
        with self._changed:
            self._ready = True
            self._changed.notify_all()

    def add_message_callback(self, callback: Callable[[ServiceMessage], Any]) -> None:
        """Kept, never called: in a local run nothing sends messages to a service."""
        self.message_callbacks.append(callback)

    def run_start(self, start: Callable[[Any], Any], job_id: str) -> None:
        """Run ``function(service)`` on its own thread; return once it has set
        ``block_handler`` or returned without setting one; raise what it raised before.
        What the function prints belongs to ``job_id``, the call that started it."""
        thread = threading.Thread(target=self._run, args=(start, job_id),
                                  name="oocana-service-start", daemon=True)
        thread.start()
        with self._changed:
            self._changed.wait_for(lambda: self._block_handler is not None
                                   or self._start_error is not None or self._start_ended)
            if self._start_error is not None:
                raise self._start_error

    def wait_ready(self) -> None:
        """Hold a call until the service is ready (at once unless ``waiting_ready_notify``)."""
        with self._changed:
            self._changed.wait_for(lambda: self._ready)

    def _run(self, start: Callable[[Any], Any], job_id: str) -> None:
        capture.begin_thread(job_id)
        try:
            returned = start(self)
            if hasattr(returned, "__await__"):  # an async start function
                import asyncio

                asyncio.run(returned)
        except BaseException as exc:
            with self._changed:
                self._start_ended = True
                self._start_error = exc
                self._changed.notify_all()
                serving = self._block_handler is not None
            if serving:  # too late to fail a call: the traceback goes to the log
                raise
            return  # the first call fails with it
        with self._changed:
            self._start_ended = True
            self._changed.notify_all()


_services: dict[tuple[str, str, str], Service] = {}
_starting = threading.Lock()  # calls run at once: the first starts it, the others wait


def _start(job: dict[str, Any], info: dict[str, Any]) -> Service:
    key = (info["dir"], info["entry"], info["function"])
    service = _services.get(key)
    if service is not None:
        return service
    with _starting:
        return _services.get(key) or _start_now(job, info, key)


def _start_now(job: dict[str, Any], info: dict[str, Any], key: tuple[str, str, str]
               ) -> Service:
    start = loader.load_function({**job, "entry": info["entry"],
                                  "function": info["function"], "source": None})
    service = Service(info["name"], info["dir"])
    service.run_start(start, job["job_id"])
    if service.block_handler is None:
        raise JobSetupError(
            f"service {info['name']!r}: {info['function']}(service) did not set "
            "service.block_handler (a dict of block name -> function, or a function "
            "of (block_name, inputs, context))")
    _services[key] = service
    return service


def _started(inputs: Any, context: Any) -> None:
    """The job that only starts a service: nothing left to do."""


def service_function(job: dict[str, Any]) -> Any:
    """The callable that runs this call: the handler of the job's block."""
    info: dict[str, Any] = job["service"]
    service = _start(job, info)
    block = info["block"]
    if block is None:  # start_at: the run starts the service before any call
        return _started
    service.wait_ready()
    handler = service.block_handler
    if isinstance(handler, dict):
        fn = handler.get(block)
        if fn is None:
            raise JobSetupError(
                f"service {info['name']!r} has no handler for block {block!r}; its "
                f"block_handler has: {', '.join(map(str, handler)) or 'nothing'}")
        return fn
    if callable(handler):
        return functools.partial(handler, block)
    raise JobSetupError(f"service {info['name']!r}: block_handler must be a dict or a "
                        f"function, not {type(handler).__name__}")
