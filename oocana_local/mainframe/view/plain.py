"""The view for consoles that are not terminals: one plain line per event of interest.

Used by ``LiveView`` when output is piped or in CI, so ``oocana-local run ... | cat``
stays readable. Publishing only folds the message into the ``RunState`` and queues a
small tuple; a thread of the view's own formats and prints, so a slow reader of the pipe
never slows the run down. ``stop()`` prints what is left and the summary.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.text import Text

from ...wire import names
from .render import format_duration
from .state import NodeView, RunState
from .summary import render_summary

__all__ = ["PlainView", "event_line"]

Event = tuple[Any, ...]
"""What the publish call queues for printing: ``(kind, label, ...)``."""

PLAIN_TYPES = frozenset({
    names.FLOW_STARTED, names.BLOCK_STARTED, names.BLOCK_FINISHED, names.SUBFLOW_STARTED,
    names.SUBFLOW_FINISHED, names.SLOTFLOW_STARTED, names.SLOTFLOW_FINISHED,
    names.BLOCK_LOG, names.BLOCK_LOG_JSON, names.BLOCK_WARNING, names.BLOCK_ERROR,
})
LOG_TYPES = frozenset({names.BLOCK_LOG, names.BLOCK_LOG_JSON, names.BLOCK_WARNING, names.BLOCK_ERROR})


class PlainView:
    """A bus subscriber printing plain lines, then the run's summary on ``stop()``."""

    def __init__(self, console: Console | None = None, refresh_per_second: float = 10, *,
                 clock: Callable[[], float] = time.monotonic, max_rows: int = 30,
                 max_pending: int = 100_000):
        self.console = console if console is not None else Console()
        self.state = RunState(clock=clock)
        self.max_rows = max_rows
        self._events = PLAIN_TYPES
        self._max_pending = max_pending
        self._interval = 1 / refresh_per_second
        self._lock = threading.Lock()  # the state is written here, read by the printer
        self._pending: deque[Event] = deque()
        self._dropped = 0
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopped = False

    # -- the publish side: cheap ----------------------------------------------------------

    def __call__(self, message: dict[str, Any]) -> None:
        with self._lock:
            node = self.state.apply(message)
            type_ = message.get("type")
            if type_ in self._events and not (type_ == names.BLOCK_STARTED and message.get("cached")):
                if len(self._pending) >= self._max_pending:
                    self._pending.popleft()  # keep the latest; the recorder has them all
                    self._dropped += 1
                self._pending.append(self._event(type_, node, message))

    def preview_saved(self, saved: Any) -> None:
        """Queue the line saying where a preview went (a ``mainframe.previews.SavedPreview``)."""
        with self._lock:
            self._pending.append(("preview", saved.label, saved.line()))

    def _event(self, type_: str, node: NodeView | None, message: dict[str, Any]) -> Event:
        state = self.state
        if type_ in (names.BLOCK_LOG, names.BLOCK_LOG_JSON):
            return ("log", *state.logs[-1])
        if type_ == names.BLOCK_WARNING:
            return ("warning", *state.warnings[-1])
        if type_ == names.BLOCK_ERROR:
            return ("error", *state.block_errors[-1])
        label = node.label if node is not None else ""
        if type_ == names.FLOW_STARTED:
            return ("flow", message.get("flow_path") or "", state.session_id or "")
        if type_ in (names.BLOCK_STARTED, names.SUBFLOW_STARTED,
                     names.SLOTFLOW_STARTED):
            return ("started", label, node.runs if node is not None else 1)
        error = message.get("error")
        status = message.get("status") or ("failed" if error else "done")
        if status == "done" and message.get("cached"):
            status = "cached"
        duration = node.last_duration if node is not None else None
        return ("finished", label, status, duration, _last_line(error))

    # -- the printing side ----------------------------------------------------------------

    def start(self) -> None:
        """Start printing in the background (call ``stop()`` at the end)."""
        if self._thread is None and not self._stopped:
            self._thread = threading.Thread(target=self._run, name="oocana-view",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Print what is still queued, then the summary. Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        self._finish()

    def __enter__(self) -> PlainView:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._done.wait(self._interval):
            try:
                self._tick()
            except Exception:  # the view must never take the run down
                print(f"oocana-local: the terminal view stopped:\n{traceback.format_exc()}",
                      file=sys.__stderr__)
                return

    def _take(self, limit: int | None = None) -> tuple[list[Event], int]:
        with self._lock:
            pending = self._pending
            if limit is None or len(pending) <= limit:
                items = list(pending)
                pending.clear()
            else:
                items = [pending.popleft() for _ in range(limit)]
            dropped, self._dropped = self._dropped, 0
        return items, dropped

    def _tick(self) -> None:
        self._print_events(*self._take())

    def _print_events(self, items: list[Event], dropped: int) -> None:
        lines = [event_line(item) for item in items]
        if dropped:
            lines.insert(0, Text(f"… {dropped} lines not shown", style="dim"))
        if lines:
            # soft_wrap: long log lines stay whole in a pipe instead of folding at 80 columns
            self.console.print(Text("\n").join(lines), soft_wrap=not self.console.is_terminal)

    def _finish(self) -> None:
        self._print_events(*self._take())
        self._print_summary()

    def _print_summary(self) -> None:
        with self._lock:
            if not self.state.messages:
                return
            parts = render_summary(self.state, max_rows=self.max_rows,
                                   width=self.console.width)
        for part in parts:
            # Text (values, tracebacks) is not re-wrapped: long lines stay whole to copy
            self.console.print(part, soft_wrap=isinstance(part, Text))


_BLOCK_MANIFESTS = ("block.oo.yaml", "block.oo.yml", "task.oo.yaml", "task.oo.yml")


def event_line(event: Event) -> Text:
    """One printed line for a queued event."""
    kind, label = event[0], event[1]
    text = Text()
    if kind == "flow":
        # A single block runs as a one-node flow whose path is the block's manifest.
        what = "block" if label.endswith(_BLOCK_MANIFESTS) else "flow"
        text.append(f"{what} {label} started", style="bold")
        if event[2]:
            text.append(f" (session {event[2]})", style="dim")
        return text
    if label:
        text.append(label, style="dim")
        text.append(" ")
    if kind == "log":
        text.append("| ", style="dim")
        text.append_text(Text.from_ansi(event[2], style="red" if event[3] == "stderr" else ""))
    elif kind == "preview":
        text.append("| ", style="dim")
        text.append(event[2], style="cyan")
    elif kind == "warning":
        text.append(f"warning: {event[2]}", style="yellow")
    elif kind == "error":
        text.append(f"error: {event[2]}", style="red")
    elif kind == "started":
        text.append("started" + (f" (run {event[2]})" if event[2] > 1 else ""))
    else:  # finished
        status, duration, error = event[2], event[3], event[4]
        if status == "cached":
            text.append("cached: reused its last results", style="blue")
            return text
        style = "green" if status == "done" else "yellow" if status == "cancelled" else "red"
        text.append(status, style=style)
        if duration is not None:
            text.append(f" in {format_duration(duration)}")
        if error:
            text.append(f": {error}", style="red")
    return text


def _last_line(error: Any) -> str | None:
    # The last line of a traceback names the exception; the summary shows the rest.
    if not error:
        return None
    lines = [line for line in str(error).splitlines() if line.strip()]
    return lines[-1].strip() if lines else None
