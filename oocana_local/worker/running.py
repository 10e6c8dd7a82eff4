"""Which job's Context runs in this worker: the job runner says so (through ``hooks``), and
whatever previews from anywhere in a block (``plt.show()``, ``fig.show()``,
``Image.show()``, ``breakpoint()``) asks ``current_context()``. A service's calls run at
once on threads of their own: a call's thread has its own Context."""

from __future__ import annotations

import threading

TYPE_CHECKING = False  # typing costs a fresh worker milliseconds: annotations only
if TYPE_CHECKING:
    from typing import Any

__all__ = ["current_context", "enter", "leave"]

_context: Any = None
_thread = threading.local()  # context: the call a service's call thread runs
_calls = 0  # service calls running on their own threads
_calls_lock = threading.Lock()


def current_context() -> Any:
    """The Context of the job running (or that ran last) in this worker, or None; on a
    service call's thread, that call's."""
    return getattr(_thread, "context", None) or _context


def enter(context: Any, threaded: bool = False) -> None:
    global _context, _calls
    _context = context
    if threaded:
        _thread.context = context
        with _calls_lock:
            _calls += 1


def leave(threaded: bool = False) -> int:
    """The job is over; how many service calls still run on threads of their own."""
    global _calls
    if not threaded:
        return 0
    _thread.context = None
    with _calls_lock:
        _calls -= 1
        return _calls
