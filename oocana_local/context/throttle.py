"""Progress throttle: the first report at once, then at most one per period, newest wins.

Same timing as oocana's ``@throttle(0.3)`` (leading call, trailing call with the newest
value), but kept per Context rather than per process, and closable: ``close()`` sends a
pending trailing value at once and drops everything after, so no progress follows
``BlockFinished``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["ProgressThrottle"]

_NOTHING = object()


def _thread_timer(delay: float, fn: Callable[[], None]) -> threading.Timer:
    timer = threading.Timer(delay, fn)
    timer.daemon = True
    timer.start()
    return timer


class ProgressThrottle:
    def __init__(self, send: Callable[[Any], None], period: float = 0.3, *,
                 clock: Callable[[], float] = time.monotonic,
                 timer: Callable[[float, Callable[[], None]], Any] | None = None):
        """``clock`` and ``timer(delay, fn)`` (a started, cancellable timer) are the
        monotonic clock and ``threading.Timer`` unless a test injects its own."""
        self._send = send
        self._period = period
        self._clock = clock
        self._new_timer = timer or _thread_timer
        self._last = float("-inf")
        self._pending: Any = _NOTHING
        self._timer: Any = None
        self._closed = False
        self._lock = threading.Lock()

    def __call__(self, value: Any) -> None:
        with self._lock:
            if self._closed:
                return
            now = self._clock()
            if now - self._last > self._period:
                self._cancel_timer()
                self._pending = _NOTHING
                self._last = now
                self._send(value)
                return
            self._pending = value
            if self._timer is None:
                self._timer = self._new_timer(self._period - (now - self._last), self._fire)

    def _fire(self) -> None:
        with self._lock:
            self._timer = None
            if self._closed or self._pending is _NOTHING:
                return
            value, self._pending = self._pending, _NOTHING
            self._last = self._clock()
            self._send(value)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def close(self) -> None:
        """Send the pending trailing value now; ignore every later call."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._cancel_timer()
            if self._pending is not _NOTHING:
                value, self._pending = self._pending, _NOTHING
                self._send(value)
