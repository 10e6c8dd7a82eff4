"""The terminal live view: a node table redrawn at a fixed rate, logs printed above it.

Publishing only updates the ``RunState`` (and queues logs, warnings and errors); the
view's own thread redraws ``refresh_per_second`` times a second and prints at most
``max_lines_per_refresh`` queued lines each time, so thousands of events a second never
mean thousands of repaints, and a block flooding stdout cannot flood the terminal
(beyond ``max_pending`` queued lines the oldest are dropped and counted).

On a console that is not a terminal (piped, CI, ``TERM=dumb``) it behaves exactly like
``PlainView``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.console import Console
from rich.live import Live

from .plain import LOG_TYPES, PlainView
from .render import render_state

__all__ = ["LiveView"]


class LiveView(PlainView):
    """A bus subscriber drawing the run live; ``start()``/``stop()`` or ``with``."""

    def __init__(self, console: Console | None = None, refresh_per_second: float = 10, *,
                 clock: Callable[[], float] = time.monotonic, max_rows: int = 30,
                 max_lines_per_refresh: int = 200, max_pending: int = 2000):
        super().__init__(console, refresh_per_second, clock=clock, max_rows=max_rows)
        self.is_live = self.console.is_terminal and not self.console.is_dumb_terminal
        self._max_lines = max_lines_per_refresh
        self._live: Live | None = None
        if self.is_live:
            self._events = LOG_TYPES  # node starts and ends are in the table
            self._max_pending = max_pending

    def start(self) -> None:
        if self.is_live and self._live is None and not self._stopped:
            self._live = Live(console=self.console, auto_refresh=False, transient=True,
                              redirect_stdout=True, redirect_stderr=True)
            self._live.start()
        super().start()

    def __enter__(self) -> LiveView:
        self.start()
        return self

    def _rows(self) -> int:
        # Leave room for the footer and a few log lines above the region.
        return max(5, min(self.max_rows, self.console.size.height - 6))

    def _tick(self) -> None:
        if self._live is None:
            super()._tick()
            return
        items, dropped = self._take(self._max_lines)
        with self._lock:
            renderable = render_state(self.state, max_rows=self._rows())
        self._print_events(items, dropped)  # lands above the live region
        self._live.update(renderable, refresh=True)

    def _finish(self) -> None:
        if self._live is not None:
            self._print_events(*self._take())
            self._live.stop()  # transient: the region goes, the summary replaces it
            self._live = None
        super()._finish()
