"""The worker side of a service (oocana-python.md §3.8): the service object, made once.

A service worker is a pool worker that only serves one service (``executor/services.py``).
On its first call it loads the service's entry and runs ``function(service)`` once; that
function sets ``service.block_handler``, either a dict ``{block_name: fn(inputs,
context)}`` or one callable ``fn(block_name, inputs, context)``. Every call then runs the
handler of its block with the Context any block gets, so state the service keeps lives as
long as this process.
"""

from __future__ import annotations

import functools
import threading

from ..wire.errors import JobSetupError
from . import loader

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Service", "service_function"]


class Service:
    """What ``function(service)`` receives (oocana's ``ServiceContextAbstractClass``)."""

    def __init__(self, name: str, directory: str):
        self.name = name
        self.dir = directory
        self.block_handler: Any = None
        self.waiting_ready_notify = False
        """Set (before ``block_handler``) to hold every call until ``notify_ready()``:
        for a service that gets ready on a thread of its own after ``function`` returns."""
        self._ready = threading.Event()

    def notify_ready(self) -> None:
        self._ready.set()

    def __setitem__(self, key: str, value: Any) -> None:
        if key == "block_handler":
            self.block_handler = value

    def add_message_callback(self, callback: Any) -> None:
        """Accepted for oocana's API; nothing sends messages to a service here."""


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
    returned = start(service)
    if hasattr(returned, "__await__"):  # an async start function
        import asyncio

        asyncio.new_event_loop().run_until_complete(returned)
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
    if service.waiting_ready_notify:
        service._ready.wait()
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
