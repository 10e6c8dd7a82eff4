"""``oocana.throttler``: ``@throttle(period)``, the timing of ``context.report_progress``.

The first call runs at once; calls within ``period`` seconds of the last run are held and
the newest of them runs when the period ends (on a timer thread). A held call returns None.
One decorated function shares its state across callers, as in oocana.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from oocana_local.context.throttle import ProgressThrottle

__all__ = ["throttle"]


def throttle(period: float) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        ran = threading.local()  # what fn returned, for the thread that ran it

        def run(call: tuple[tuple[Any, ...], dict[str, Any]]) -> None:
            ran.result = fn(*call[0], **call[1])

        gate = ProgressThrottle(run, period)

        def throttled(*args: Any, **kwargs: Any) -> Any:
            ran.result = None
            gate((args, kwargs))
            return ran.result

        throttled.__wrapped__ = fn  # type: ignore[attr-defined]
        throttled.__name__ = getattr(fn, "__name__", "throttled")
        throttled.__doc__ = fn.__doc__
        return throttled

    return decorate
