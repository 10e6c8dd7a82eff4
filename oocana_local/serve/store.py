"""The run store: every task the server ran, with its events, in one SQLite file.

Events are batched: the server calls ``flush()`` a few times a second (and before every
read, and with every change of a task's state), so a block that logs thousands of lines
costs one transaction per batch, not one per line. Opening the store marks the runs that were going when a previous server died as
failed with "server stopped".
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..mainframe.jsonable import dumps
from ..mainframe.messages import now_ms

__all__ = ["RunStore", "TaskRecord", "TaskEvent", "Status", "ACTIVE", "SERVER_STOPPED",
           "default_db_path"]

Status = Literal["queued", "running", "completed", "failed", "stopped"]
ACTIVE = ("queued", "running")
SERVER_STOPPED = "server stopped"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY,
    protocol TEXT NOT NULL,
    target TEXT NOT NULL,
    kind TEXT NOT NULL,
    inputs TEXT NOT NULL,
    nodes_inputs TEXT,
    status TEXT NOT NULL,
    progress REAL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    outputs TEXT,
    error TEXT,
    session_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_created ON tasks (created_at);
CREATE TABLE IF NOT EXISTS events (
    task_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    node_id TEXT,
    event TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (task_id, seq)
);
"""

_TASK_FIELDS = ("id", "protocol", "target", "kind", "inputs", "nodes_inputs", "status",
                "progress", "created_at", "updated_at", "started_at", "finished_at",
                "outputs", "error", "session_id")
_JSON_FIELDS = ("inputs", "nodes_inputs", "outputs")


def default_db_path() -> Path:
    from ..runtime.session import data_root

    return data_root() / "serve.db"


@dataclass
class TaskRecord:
    id: str
    protocol: str
    target: str
    kind: str
    inputs: dict[str, Any]
    session_id: str
    status: Status = "queued"
    nodes_inputs: dict[str, dict[str, Any]] | None = None
    progress: float | None = None
    created_at: int = field(default_factory=now_ms)
    updated_at: int = 0
    started_at: int | None = None
    finished_at: int | None = None
    outputs: dict[str, Any] | None = None
    error: str | None = None

    @property
    def done(self) -> bool:
        return self.status not in ACTIVE


@dataclass
class TaskEvent:
    seq: int
    type: str
    node_id: str | None
    event: dict[str, Any]
    created_at: int


class RunStore:
    """One SQLite file; used from one thread (the server's event loop) at a time."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path), check_same_thread=False,
                                   isolation_level=None)
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._tasks: dict[str, TaskRecord] = {}  # changed since the last flush
        self._events: list[tuple[Any, ...]] = []

    def close(self) -> None:
        self.flush()
        self._db.close()

    # -- writes (buffered) ------------------------------------------------------------

    def mark_interrupted(self) -> int:
        """Runs left queued or running by a server that died: failed, "server stopped"."""
        with self._lock:
            cursor = self._db.execute(
                "UPDATE tasks SET status='failed', error=?, updated_at=?, "
                "finished_at=COALESCE(finished_at, ?) WHERE status IN ('queued','running')",
                (SERVER_STOPPED, now_ms(), now_ms()))
            return cursor.rowcount

    def save(self, task: TaskRecord) -> None:
        """Write the task's current fields now (with the events queued so far): a task's
        state changes a few times in its life, and a server killed right after a change
        must still find it when it restarts."""
        task.updated_at = now_ms()
        self._tasks[task.id] = task
        self.flush()

    def add_event(self, task_id: str, event: TaskEvent) -> None:
        self._events.append((task_id, event.seq, event.type, event.node_id,
                             dumps(event.event), event.created_at))

    @property
    def dirty(self) -> bool:
        return bool(self._tasks or self._events)

    def flush(self) -> None:
        if not self.dirty:
            return
        tasks, self._tasks = list(self._tasks.values()), {}
        events, self._events = self._events, []
        rows = [tuple(_column(t, name) for name in _TASK_FIELDS) for t in tasks]
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    f"INSERT OR REPLACE INTO tasks ({', '.join(_TASK_FIELDS)}) "
                    f"VALUES ({', '.join('?' * len(_TASK_FIELDS))})", rows)
                self._db.executemany("INSERT OR REPLACE INTO events VALUES (?,?,?,?,?,?)",
                                     events)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    # -- reads (after a flush) -------------------------------------------------------

    def get(self, task_id: str) -> TaskRecord | None:
        self.flush()
        with self._lock:
            row = self._db.execute(
                f"SELECT {', '.join(_TASK_FIELDS)} FROM tasks WHERE id=?", (task_id,)
            ).fetchone()
        return _record(row) if row else None

    def recent(self, limit: int = 100, offset: int = 0) -> list[TaskRecord]:
        """The newest tasks first."""
        self.flush()
        with self._lock:
            rows = self._db.execute(
                f"SELECT {', '.join(_TASK_FIELDS)} FROM tasks "
                "ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?", (limit, offset)
            ).fetchall()
        return [_record(row) for row in rows]

    def events(self, task_id: str, after: int = 0) -> list[TaskEvent]:
        self.flush()
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, type, node_id, event, created_at FROM events "
                "WHERE task_id=? AND seq>? ORDER BY seq", (task_id, after)).fetchall()
        return [TaskEvent(seq, type_, node_id, json.loads(event), created_at)
                for seq, type_, node_id, event, created_at in rows]

    def storage(self) -> dict[str, Any]:
        """What the store takes on disk (the SQLite file and its journal) against what it
        could take (that plus the free space of its disk), as Sim's ``storage`` reports."""
        used = 0
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                used += os.stat(f"{self.path}{suffix}").st_size
        try:
            free = shutil.disk_usage(self.path.parent).free
        except OSError:
            free = 0
        limit = used + free
        return {"usedBytes": used, "limitBytes": limit,
                "percentUsed": round(100 * used / limit, 2) if limit else 0}

    def count(self) -> int:
        self.flush()
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM tasks").fetchone()[0])


def _column(task: TaskRecord, name: str) -> Any:
    value = getattr(task, name)
    if name in _JSON_FIELDS and value is not None:
        return dumps(value)
    return value


def _record(row: Iterable[Any]) -> TaskRecord:
    values = dict(zip(_TASK_FIELDS, row, strict=True))
    for name in _JSON_FIELDS:
        if values[name] is not None:
            values[name] = json.loads(values[name])
    return TaskRecord(**values)
