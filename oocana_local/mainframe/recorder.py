"""Bus subscribers that keep messages: a JSONL file, or a list in memory."""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ..wire import names
from .jsonable import dumps

__all__ = ["JsonlRecorder", "EventList", "MAX_RECORDED_LOGS"]

# Messages after which the file is flushed at once: the end of the run, and anything that
# may be the last word before a crash, so a failed run leaves its reason on disk.
_FLUSH_TYPES = frozenset({names.SESSION_FINISHED, names.FLOW_FINISHED, names.BLOCK_ERROR})


class JsonlRecorder:
    """Writes each message as one JSON line.

    Writes are buffered; the file is flushed on ``SessionFinished``, ``FlowFinished``,
    errors, at most ``flush_interval`` seconds after a write, on ``close()`` and, for a
    file it opened itself, at interpreter exit. A file object passed in is flushed but
    never closed. Messages arriving after ``close()`` are ignored.
    """

    def __init__(self, path_or_file: str | os.PathLike[str] | IO[str], *,
                 flush_interval: float = 1.0):
        self._lock = threading.Lock()
        self._flush_interval = flush_interval
        self._last_flush = time.monotonic()
        self.count = 0
        if isinstance(path_or_file, (str, os.PathLike)):
            self.path: Path | None = Path(path_or_file)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file: IO[str] | None = open(  # closed by close()/finalizer
                self.path, "w", encoding="utf-8", buffering=1 << 16)
            self._finalizer: weakref.finalize[[], Any] | None = weakref.finalize(
                self, self._file.close)
        else:
            self.path = None
            self._file = path_or_file
            self._finalizer = None

    def __call__(self, message: dict[str, Any]) -> None:
        line = dumps(message) + "\n"  # ASCII-only JSON: no encoding can reject it
        with self._lock:
            file = self._file
            if file is None:
                return
            file.write(line)
            self.count += 1
            now = time.monotonic()
            if (message.get("type") in _FLUSH_TYPES or message.get("error") is not None
                    or now - self._last_flush >= self._flush_interval):
                file.flush()
                self._last_flush = now

    def flush(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            file, self._file = self._file, None
            if file is None:
                return
            file.flush()
            if self._finalizer is not None:
                self._finalizer()  # closes the file we opened

    def __enter__(self) -> JsonlRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"JsonlRecorder({str(self.path) if self.path else self._file!r})"


MAX_RECORDED_LOGS = 100_000
"""Log lines a run keeps in memory (``EventList``); the server's run store keeps as many
events per task (``serve --max-task-events``)."""


def _max_logs() -> int:
    try:
        return max(0, int(os.environ.get("OOCANA_LOCAL_MAX_RECORDED_LOGS", "")))
    except ValueError:
        return MAX_RECORDED_LOGS


_LOG_TYPES = frozenset({names.BLOCK_LOG, names.BLOCK_LOG_JSON})


class EventList:
    """A subscriber that keeps the messages of a run, in order (for the API and tests).

    Every message but log lines is kept. Log lines (``BlockLog``, ``BlockLogJSON``) are
    kept up to ``max_logs`` (100,000; ``$OOCANA_LOCAL_MAX_RECORDED_LOGS``) and counted
    after that (``dropped_logs``), so memory follows the size of the flow, not the
    volume a block prints; streaming subscribers (the terminal, ``--events``) see them
    all.

    Not a ``list`` subclass on purpose: the bus finds subscribers by equality, and two
    lists holding the same messages would be equal.
    """

    __slots__ = ("messages", "max_logs", "logs", "dropped_logs")

    def __init__(self, max_logs: int | None = None) -> None:
        self.messages: list[dict[str, Any]] = []
        self.max_logs = _max_logs() if max_logs is None else max_logs
        self.logs = 0
        self.dropped_logs = 0

    def __call__(self, message: dict[str, Any]) -> None:
        if message["type"] in _LOG_TYPES:
            if self.logs >= self.max_logs:
                self.dropped_logs += 1
                return
            self.logs += 1
        self.messages.append(message)

    def __len__(self) -> int:
        return len(self.messages)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.messages)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.messages[index]

    def of_type(self, *types: str) -> list[dict[str, Any]]:
        """The messages whose ``type`` is one of ``types``."""
        return [m for m in self.messages if m.get("type") in types]

    @property
    def types(self) -> list[str]:
        return [m.get("type", "") for m in self.messages]

    def clear(self) -> None:
        self.messages.clear()

    def __repr__(self) -> str:
        return f"<EventList of {len(self.messages)} messages>"
