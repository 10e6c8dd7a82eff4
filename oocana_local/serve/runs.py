"""Runs behind every protocol: one engine, a bounded number of runs at once, the store.

Every route creates a task here and reads it back from here; protocols differ only in
how they name things and shape answers. A run is an asyncio task on the server's loop
awaiting ``Engine.arun``; stopping it cancels that task. Runs beyond ``max_concurrent``
wait for a slot, in order, and are never dropped.

The store keeps up to ``max_task_events`` events per task (the engine's number for the log
lines a run keeps, 100,000, unless ``serve --max-task-events`` says otherwise), so a
chatty block cannot fill the disk. Beyond it only the events that end a block, a flow or
the run, and errors, are stored; a note (a ``BlockWarning`` of the run) marks where the
dropping began, and another at the end says how many events were not stored, by type.
Live listeners still get every message, and the task's status and outputs are stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ManifestError, UsageError
from ..mainframe.jsonable import to_jsonable
from ..mainframe.messages import now_ms
from ..mainframe.recorder import MAX_RECORDED_LOGS
from ..manifest.resolved import Flow, TaskBlock
from ..runtime.options import RunOptions
from ..runtime.run import block_as_flow, root_inputs
from ..wire import names
from .catalog import Catalog, Entry
from .store import SERVER_STOPPED, RunStore, TaskEvent, TaskRecord

if TYPE_CHECKING:
    from ..engine import Engine

__all__ = ["RunManager", "LiveRun", "NotFound", "BadRequest", "check_inputs", "STOPPED_MESSAGE",
           "TIMED_OUT_MESSAGE", "MAX_TASK_EVENTS"]

STOPPED_MESSAGE = "Stopped"
TIMED_OUT_MESSAGE = "Timed out"
_FLUSH_EVERY = 0.1
MAX_TASK_EVENTS = MAX_RECORDED_LOGS
"""Events stored per task by default."""
# Stored past the cap: without them a task's nodes would look as if they never ended.
_ALWAYS_STORED = frozenset({
    names.BLOCK_FINISHED, names.BLOCK_ERROR, names.FLOW_FINISHED, names.SUBFLOW_FINISHED,
    names.SLOTFLOW_FINISHED, names.SESSION_FINISHED})


class NotFound(LookupError):
    """No such target or task."""


class BadRequest(ValueError):
    """The request cannot run as asked (unknown input, bad value); nothing ran."""


Numbered = tuple[int, bool, dict[str, Any]]


@dataclass
class LiveRun:
    """A task that is queued or running, with whoever listens to it."""

    record: TaskRecord
    target: Flow | TaskBlock
    seq: int = 0
    stopped: bool = False
    task: asyncio.Task[None] | None = None
    listeners: list[asyncio.Queue[dict[str, Any] | None]] = field(default_factory=list)
    followers: list[asyncio.Queue[Numbered | None]] = field(default_factory=list)
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    stored: int = 0
    """Events of the run stored so far (the notes about dropped ones not counted)."""
    dropped: dict[str, int] = field(default_factory=dict)
    """Events not stored (beyond the store's cap), by type."""

    def listen(self) -> asyncio.Queue[dict[str, Any] | None]:
        """Every later bus message of the run, then None when it ended."""
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        if self.finished.is_set():
            queue.put_nowait(None)
        else:
            self.listeners.append(queue)
        return queue

    def follow(self) -> asyncio.Queue[Numbered | None]:
        """``listen``, each message with the store's numbering: ``(seq, stored, message)``,
        where ``seq`` is the message's own when ``stored``, else that of the last stored
        one; the store's notes about dropped events come this way too."""
        queue: asyncio.Queue[Numbered | None] = asyncio.Queue()
        if self.finished.is_set():
            queue.put_nowait(None)
        else:
            self.followers.append(queue)
        return queue

    def tell(self, message: dict[str, Any], stored: bool, *, note: bool = False) -> None:
        if not note:
            for queue in self.listeners:
                queue.put_nowait(message)
        for follower in self.followers:
            follower.put_nowait((self.seq, stored, message))


class RunManager:
    def __init__(self, engine: Engine, store: RunStore, catalog: Catalog, *,
                 max_concurrent: int, files_root: Path,
                 max_task_events: int = MAX_TASK_EVENTS):
        self.engine = engine
        self.store = store
        self.catalog = catalog
        self.files_root = files_root
        self.max_concurrent = max_concurrent
        self.max_task_events = max_task_events
        self.live: dict[str, LiveRun] = {}
        self._by_session: dict[str, LiveRun] = {}
        self._slots: asyncio.Semaphore | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._closing = False
        self._flush_failed = False

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        self._slots = asyncio.Semaphore(self.max_concurrent)
        self._unsubscribe = self.engine.bus.subscribe(self._on_message)
        await self.engine.executor.start()  # warm workers before the first request
        self._flusher = asyncio.get_running_loop().create_task(self._flush_loop())

    async def close(self) -> None:
        self._closing = True
        for run in list(self.live.values()):
            if run.task is not None:
                run.task.cancel()
        tasks = [r.task for r in self.live.values() if r.task is not None]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        if self._unsubscribe is not None:
            self._unsubscribe()
        self.store.flush()

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(_FLUSH_EVERY)
            try:
                self.store.flush()
            except Exception as exc:  # a full disk must not stop the runs; say it once
                if not self._flush_failed:
                    print(f"oocana-local serve: cannot write the run store: {exc}",
                          file=sys.stderr)
                self._flush_failed = True

    # -- targets ------------------------------------------------------------------------

    def resolve(self, name: str) -> tuple[Entry, Flow | TaskBlock]:
        """The served flow or block called ``name``; NotFound for anything else."""
        entry = self.catalog.get(name) if isinstance(name, str) and name else None
        if entry is None:
            # What the client sent is not echoed: it could be anything, a token too.
            raise NotFound("no flow or block of that name is served here")
        try:
            return entry, self.engine.load(entry.manifest)
        except ManifestError as exc:
            raise BadRequest(f"{name} has invalid manifests:\n{exc}") from None

    def task_dir(self, task_id: str) -> Path:
        return self.files_root / task_id

    def new_task_id(self) -> str:
        return uuid.uuid4().hex

    # -- runs ---------------------------------------------------------------------------

    def submit(self, entry: Entry, target: Flow | TaskBlock, *, protocol: str,
               inputs: dict[str, Any] | None = None,
               nodes_inputs: dict[str, dict[str, Any]] | None = None,
               task_id: str | None = None) -> LiveRun:
        """Check the inputs, record the task and start it (or queue it for a slot)."""
        inputs = dict(inputs or {})
        check_inputs(target, inputs, nodes_inputs)
        task_id = task_id or self.new_task_id()
        record = TaskRecord(id=task_id, protocol=protocol, target=entry.name,
                            kind=entry.kind, inputs=inputs, nodes_inputs=nodes_inputs,
                            session_id=str(uuid.uuid4()))
        run = LiveRun(record=record, target=target)
        self.store.save(record)
        self.live[task_id] = run
        self._by_session[record.session_id] = run
        run.task = asyncio.get_running_loop().create_task(self._run(run))
        return run

    async def wait(self, run: LiveRun) -> TaskRecord:
        await run.finished.wait()
        return run.record

    def get(self, task_id: str) -> TaskRecord | None:
        run = self.live.get(task_id)
        return run.record if run is not None else self.store.get(task_id)

    def stop(self, task_id: str, *, timed_out: float | None = None) -> TaskRecord:
        """Cancel a queued or running task; it stays ``stopped`` (``failed`` when it ran
        out of time, ``timed_out`` seconds) and logs nothing more."""
        run = self.live.get(task_id)
        if run is None:
            record = self.store.get(task_id)
            if record is None:
                raise NotFound("no such task")
            return record
        if not run.stopped:
            run.stopped = True
            if timed_out is None:
                self._finish(run, "stopped", None, STOPPED_MESSAGE)
            else:
                self._finish(run, "failed", None, f"{TIMED_OUT_MESSAGE} after {timed_out:g} s")
            if run.task is not None:
                run.task.cancel()
        return run.record

    async def _run(self, run: LiveRun) -> None:
        record = run.record
        assert self._slots is not None
        try:
            async with self._slots:
                if run.stopped:
                    return
                record.status = "running"
                record.started_at = now_ms()
                self.store.save(record)
                result = await self.engine.arun(run.target, RunOptions(
                    inputs=record.inputs, nodes_inputs=record.nodes_inputs,
                    session_id=record.session_id,
                    session_dir=self.task_dir(record.id) / "session"))
        except asyncio.CancelledError:
            self._finish(run, "stopped", None, STOPPED_MESSAGE)
        except UsageError as exc:
            self._finish(run, "failed", None, str(exc))
        except Exception as exc:  # an engine bug must still end the task
            self._finish(run, "failed", None, f"{type(exc).__name__}: {exc}")
        else:
            if result.status == "completed":
                self._finish(run, "completed", to_jsonable(result.outputs), None)
            elif result.status == "cancelled":
                self._finish(run, "stopped", None, STOPPED_MESSAGE)
            else:
                self._finish(run, "failed", to_jsonable(result.outputs),
                             result.error or "failed")

    def _finish(self, run: LiveRun, status: str, outputs: dict[str, Any] | None,
                error: str | None) -> None:
        """End the task once: its last log, then its status (readers poll the status)."""
        if run.finished.is_set():
            return
        if self._closing and status == "stopped" and not run.stopped:
            # Cut short by a server shutting down: as if it had died, but cleanly.
            status, error = "failed", SERVER_STOPPED
        record = run.record
        finish = {"type": "BlockFinished", "session_id": record.session_id,
                  "job_id": record.session_id, "stacks": [], "finish_at": now_ms(),
                  "error": error, "status": status}
        if status == "completed":
            finish["result"] = outputs or {}
        if run.dropped:
            total = sum(run.dropped.values())
            kinds = ", ".join(f"{n} {t}" for t, n in sorted(run.dropped.items()))
            self._record_note(run, (
                f"{total} event(s) of this task were not stored ({kinds}): the run store "
                f"keeps {self.max_task_events} per task (serve --max-task-events), then "
                "only the ends of blocks and flows"), dropped_events=total,
                dropped_types=dict(run.dropped))
        self._record_event(run, finish, "_")
        record.status = status  # type: ignore[assignment]
        record.outputs = outputs
        record.error = error
        record.finished_at = now_ms()
        self.store.save(record)
        self.store.flush()
        run.finished.set()
        run.tell(finish, True)
        for queue in run.listeners:
            queue.put_nowait(None)
        for follower in run.followers:
            follower.put_nowait(None)
        run.listeners.clear()
        run.followers.clear()
        self.live.pop(record.id, None)
        self._by_session.pop(record.session_id, None)

    # -- events -------------------------------------------------------------------------

    def _on_message(self, message: dict[str, Any]) -> None:
        run = self._by_session.get(message.get("session_id", ""))
        if run is None or run.stopped or run.finished.is_set():
            return
        stacks = message.get("stacks") or ()
        node_id = stacks[-1]["node_id"] if stacks else "_"
        stored = message
        type_ = message.get("type", "")
        if type_ == "BlockFinished" and "result" in message:
            # Connect clients take a BlockFinished result as the task's result: only the
            # final one (the flow's outputs) may carry one.
            stored = {k: v for k, v in message.items() if k != "result"}
        elif type_ == "BlockProgress" and len(stacks) <= 1:
            run.record.progress = message.get("progress")
            self.store.save(run.record)
        keep = run.stored < self.max_task_events or type_ in _ALWAYS_STORED
        if keep:
            run.stored += 1
            self._record_event(run, stored, node_id)
        else:
            if not run.dropped:  # where the gap begins, in case the server dies before the end
                self._record_note(run, (
                    f"the run store keeps {self.max_task_events} events per task (serve "
                    "--max-task-events): later ones are not stored, except the ends of "
                    "blocks and flows; live streams still get them all"))
            run.dropped[type_] = run.dropped.get(type_, 0) + 1
        run.tell(message, keep)

    def _record_note(self, run: LiveRun, text: str, **extra: Any) -> None:
        """A warning of the run itself (no stacks) about the store: stored, and sent to
        followers (the web view), not to the protocols' listeners."""
        note = {"type": names.BLOCK_WARNING, "session_id": run.record.session_id,
                "job_id": run.record.session_id, "stacks": [], "warning": text, **extra}
        self._record_event(run, note, "_")
        run.tell(note, True, note=True)

    def _record_event(self, run: LiveRun, message: dict[str, Any], node_id: str) -> None:
        run.seq += 1
        self.store.add_event(run.record.id, TaskEvent(
            seq=run.seq, type=message.get("type", ""), node_id=node_id, event=message,
            created_at=now_ms()))


def file_inputs(target: Flow | TaskBlock) -> list[tuple[str, bool]]:
    """The inputs a client's uploads fill: ``(handle, takes a list)`` in manifest order."""
    found = []
    for handle, definition in target.inputs_def.items():
        schema = definition.json_schema if isinstance(definition.json_schema, dict) else {}
        items: dict[str, Any] = schema["items"] if isinstance(schema.get("items"), dict) else {}
        if schema.get("ui:widget") == "file" or definition.raw.get("ui:widget") == "file":
            found.append((handle, schema.get("type") == "array"))
        elif schema.get("type") == "array" and items.get("ui:widget") == "file":
            found.append((handle, True))
    return found


def check_inputs(target: Flow | TaskBlock, inputs: dict[str, Any],
                 nodes_inputs: dict[str, dict[str, Any]] | None) -> None:
    """BadRequest when the inputs cannot run as given (unknown, missing, mismatched)."""
    flow = block_as_flow(target) if isinstance(target, TaskBlock) else target
    try:
        given = root_inputs(flow, inputs)
    except UsageError as exc:
        raise BadRequest(str(exc)) from None
    if isinstance(target, TaskBlock):
        missing = [h for h in flow.inputs_def if h not in given]
        if missing:
            raise BadRequest(f"missing input(s) {', '.join(missing)}: they have no default "
                             "value and are not nullable")
    nodes = {node.node_id: node for node in flow.nodes}
    for node_id, values in (nodes_inputs or {}).items():
        if node_id not in nodes:
            raise BadRequest(f"unknown node id {node_id!r}; nodes: {', '.join(nodes)}")
        if not isinstance(values, dict):
            raise BadRequest(f"the inputs of node {node_id!r} must be an object")
