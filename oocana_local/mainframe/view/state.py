"""What a run looks like so far, folded from bus messages; no terminal involved.

``RunState.apply(message)`` is the only writer. It is called once per message, so each
handler is a dict lookup and a few assignments; anything that walks all nodes (counts,
rows) is left to the renderer, which runs at a fixed rate.

Nodes are keyed by the ``node_id`` path of their ``stacks``: ``("a",)`` for a node of the
root flow, ``("sub", "inner")`` for node ``inner`` of the subflow run by node ``sub``.
Jobs are mapped to their node when they start (``job_id`` -> node).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ...states import NodeState
from ...wire import names
from ..jsonable import dumps

__all__ = ["NodeView", "RunState", "NodeKey", "LogLine", "FINAL_STATUSES", "BAD_STATUSES"]

NodeKey = tuple[str, ...]
LogLine = tuple[str, str, str]
"""``(node label, line, stdio)``"""

FINAL_STATUSES = frozenset(s for s in NodeState if s.finished)
BAD_STATUSES = frozenset({NodeState.FAILED, NodeState.TIMEOUT, NodeState.CRASHED})


@dataclass(eq=False, slots=True)
class NodeView:
    """One node of the flow (or of a subflow node's flow), over all of its runs."""

    key: NodeKey
    status: NodeState = NodeState.WAITING
    """``states.NodeState``: ``cached`` when its results were reused from the node cache,
    ``skipped`` outside a ``--nodes`` subset."""
    runs: int = 0
    """Jobs started for this node (a node can run many times)."""
    active: int = 0
    """Jobs of this node running now (a node may run several at once)."""
    progress: float | None = None
    """0-100, last reported by a running job of this node."""
    started_at: float | None = None
    """Clock time the latest job started."""
    last_duration: float | None = None
    total_duration: float = 0.0
    error: str | None = None
    """Last error (a traceback for failed blocks)."""
    missing: list[str] | None = None
    """For ``not run`` nodes, the input handles that never got a value."""
    children: list[NodeView] = field(default_factory=list)
    """Nodes of the flow this (subflow) node runs, in manifest order."""

    @property
    def node_id(self) -> str:
        return self.key[-1]

    @property
    def label(self) -> str:
        """The node path as shown to users: ``sub/inner``."""
        return "/".join(self.key)

    @property
    def depth(self) -> int:
        return len(self.key) - 1


class RunState:
    """The state of one session's run, updated by ``apply(message)``."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, log_tail: int = 200):
        self.clock = clock
        self.session_id: str | None = None
        self.flow_path: str | None = None
        self.status = "pending"
        """pending, running, done, failed or cancelled."""
        self.error: str | None = None
        self.error_detail: Any = None
        """The ``_error`` of the failing FlowFinished / SessionFinished, if any."""
        self.failed_node: NodeView | None = None
        """The first node whose job failed, timed out or crashed."""
        self.nodes: dict[NodeKey, NodeView] = {}
        self.roots: list[NodeView] = []
        self.outputs: dict[str, Any] = {}
        self.unconsumed: dict[str, dict[str, int]] = {}
        """Root nodes that ran and were left values they never used (FlowFinished)."""
        self.will_run: set[str] | None = None
        """Root nodes a partial run (``--nodes``) will run, from FlowNodesWillRun."""
        self.logs: deque[LogLine] = deque(maxlen=log_tail)
        self.warnings: deque[tuple[str, str]] = deque(maxlen=log_tail)
        self.block_errors: deque[tuple[str, str]] = deque(maxlen=log_tail)
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.messages = 0
        self._jobs: dict[str, tuple[NodeView, float]] = {}
        self._lone_jobs: set[str] = set()  # jobs with empty stacks: a block run by itself
        self._handlers: dict[str, Callable[[dict[str, Any]], NodeView | None]] = {
            names.SESSION_STARTED: self._session_started,
            names.SESSION_FINISHED: self._session_finished,
            names.FLOW_STARTED: self._flow_started,
            names.FLOW_NODES_WILL_RUN: self._flow_nodes_will_run,
            names.FLOW_OUTPUT: self._flow_output,
            names.FLOW_FINISHED: self._flow_finished,
            names.SUBFLOW_STARTED: self._subflow_started,
            names.SUBFLOW_FINISHED: self._subflow_finished,
            names.SLOTFLOW_STARTED: self._subflow_started,  # a slotflow is a subflow in a slot
            names.SLOTFLOW_FINISHED: self._subflow_finished,
            names.BLOCK_STARTED: self._block_started,
            names.BLOCK_OUTPUT: self._block_output,
            names.BLOCK_OUTPUTS: self._block_outputs,
            names.BLOCK_PROGRESS: self._block_progress,
            names.BLOCK_LOG: self._block_log,
            names.BLOCK_LOG_JSON: self._block_log_json,
            names.BLOCK_WARNING: self._block_warning,
            names.BLOCK_ERROR: self._block_error,
            names.BLOCK_FINISHED: self._block_finished,
        }

    # -- reading -------------------------------------------------------------------------

    @property
    def elapsed(self) -> float:
        """Seconds since the run started, up to its end (or now)."""
        if self.started_at is None:
            return 0.0
        end = self.finished_at if self.finished_at is not None else self.clock()
        return max(0.0, end - self.started_at)

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed", "cancelled")

    def iter_nodes(self) -> Iterator[NodeView]:
        """Every node, depth first, each subflow node followed by its own nodes."""
        stack = list(reversed(self.roots))
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def counts(self) -> dict[NodeState, int]:
        counts: dict[NodeState, int] = {}
        for node in self.iter_nodes():
            counts[node.status] = counts.get(node.status, 0) + 1
        return counts

    def node(self, *path: str) -> NodeView:
        """The node at ``path`` (``state.node("sub", "inner")``); KeyError if unknown."""
        return self.nodes[path]

    # -- writing -------------------------------------------------------------------------

    def apply(self, message: dict[str, Any]) -> NodeView | None:
        """Fold one message in; returns the node it concerns, if any."""
        self.messages += 1
        if self.session_id is None:
            self.session_id = message.get("session_id")
        handler = self._handlers.get(message.get("type") or "")
        return handler(message) if handler is not None else None

    def _node_at(self, key: NodeKey) -> NodeView:
        node = self.nodes.get(key)
        if node is None:
            node = self.nodes[key] = NodeView(key)
            if len(key) == 1:
                self.roots.append(node)
            else:
                self._node_at(key[:-1]).children.append(node)
        return node

    def _node_of(self, message: dict[str, Any]) -> NodeView | None:
        job = self._jobs.get(message.get("job_id") or "")
        if job is not None:
            return job[0]
        stacks = message.get("stacks")
        return self._node_at(_key(stacks)) if stacks else None

    def _start(self) -> None:
        if self.started_at is None:
            self.started_at = self.clock()
        if self.status == "pending":
            self.status = "running"

    def _end(self, error: str | None, detail: Any) -> None:
        if self.finished_at is None:
            self.finished_at = self.clock()
        if error:
            self.status = "cancelled" if error == "Cancelled" else "failed"
            self.error = error
            self.error_detail = detail
        elif not self.finished:
            self.status = "done"
        # Jobs dropped when the flow ended never report; they did not finish either.
        for job_node, _ in self._jobs.values():
            job_node.active = 0
            if job_node.status is NodeState.RUNNING:
                job_node.status = NodeState.CANCELLED
        self._jobs.clear()

    def _session_started(self, message: dict[str, Any]) -> None:
        self._start()

    def _session_finished(self, message: dict[str, Any]) -> None:
        error = message.get("error")
        if error and self.error is None:
            self._end(error, message.get("_error"))
        else:  # the flow's own error says more than "flow x failed."
            self._end(None, None)

    def _flow_started(self, message: dict[str, Any]) -> None:
        self._start()
        self.flow_path = message.get("flow_path")
        for node_id in message.get("nodes") or ():
            self._node_at((node_id,))

    def _flow_nodes_will_run(self, message: dict[str, Any]) -> None:
        self.will_run = {
            *message.get("start_nodes", ()), *message.get("mid_nodes", ()),
            *message.get("end_nodes", ()),
        }
        for node in self.roots:  # outside the subset: they will not run, by request
            if node.status is NodeState.WAITING and node.node_id not in self.will_run:
                node.status = NodeState.SKIPPED

    def _flow_output(self, message: dict[str, Any]) -> None:
        self.outputs[message.get("handle", "")] = message.get("output")

    def _flow_finished(self, message: dict[str, Any]) -> None:
        self._mark_not_run((), message.get("not_run"))
        self.unconsumed = dict(message.get("unconsumed") or {})
        outputs = message.get("outputs")
        if outputs:
            self.outputs.update(outputs)
        self._end(message.get("error"), message.get("_error"))

    def _mark_not_run(self, base: NodeKey, not_run: dict[str, list[str]] | None) -> None:
        for node_id, missing in (not_run or {}).items():
            node = self._node_at((*base, node_id))
            node.status = NodeState.NOT_RUN
            node.missing = list(missing or ())

    def _subflow_started(self, message: dict[str, Any]) -> NodeView | None:
        node = self._job_started(message)
        if node is not None:
            for node_id in message.get("nodes") or ():
                self._node_at((*node.key, node_id))
        return node

    def _subflow_finished(self, message: dict[str, Any]) -> NodeView | None:
        node = self._node_of(message)
        if node is not None:
            self._mark_not_run(node.key, message.get("not_run"))
        error = message.get("error")
        detail = (message.get("_error") or {}).get("message") if error else None
        if isinstance(detail, str) and detail not in str(error):  # e.g. values left unused
            error = f"{error}\n{detail}"
        return self._job_finished(message, NodeState.FAILED if error else NodeState.DONE,
                                  error)

    def _block_started(self, message: dict[str, Any]) -> NodeView | None:
        return self._job_started(message)

    def _job_started(self, message: dict[str, Any]) -> NodeView | None:
        job_id = str(message.get("job_id") or "")
        stacks = message.get("stacks")
        self._start()
        if stacks:
            node = self._node_at(_key(stacks))
        else:  # a block run by itself, outside any flow
            node = self._node_at((message.get("node_id") or _block_name(message)
                                  or str(job_id),))
            self._lone_jobs.add(job_id)
        now = self.clock()
        self._jobs[job_id] = (node, now)
        node.runs += 1
        node.active += 1
        node.status = NodeState.RUNNING
        node.started_at = now
        node.progress = None
        return node

    def _block_finished(self, message: dict[str, Any]) -> NodeView | None:
        error = message.get("error")
        try:
            status = NodeState(message.get("status") or ("failed" if error else "done"))
        except ValueError:
            status = NodeState.FAILED if error else NodeState.DONE
        if status is NodeState.DONE and message.get("cached"):
            status = NodeState.CACHED
        if message.get("job_id") in self._lone_jobs and message.get("result"):
            self.outputs.update(message["result"])
        return self._job_finished(message, status, error)

    def _job_finished(self, message: dict[str, Any], status: NodeState,
                      error: str | None) -> NodeView | None:
        job = self._jobs.pop(message.get("job_id") or "", None)
        node: NodeView | None
        if job is not None:
            node, started = job
            duration = self.clock() - started
            node.last_duration = duration
            node.total_duration += duration
            node.active = max(0, node.active - 1)
        else:  # finished without a start (e.g. too deep to run): still worth showing
            node = self._node_of(message)
            if node is None:
                return None
        if error:
            node.error = error
        if status in BAD_STATUSES and self.failed_node is None:
            self.failed_node = node
        if status in BAD_STATUSES:
            node.status = status
        elif not node.active and node.status not in BAD_STATUSES:
            # Still running while other runs go on; a failure outlives their success.
            node.status = status
        if status in (NodeState.DONE, NodeState.CACHED):
            node.progress = None
        return node

    def _block_output(self, message: dict[str, Any]) -> NodeView | None:
        if message.get("job_id") in self._lone_jobs:
            self.outputs[message.get("handle", "")] = message.get("output")
        return None

    def _block_outputs(self, message: dict[str, Any]) -> NodeView | None:
        if message.get("job_id") in self._lone_jobs:
            self.outputs.update(message.get("outputs") or {})
        return None

    def _block_progress(self, message: dict[str, Any]) -> NodeView | None:
        node = self._node_of(message)
        if node is not None:
            progress = message.get("progress")
            if isinstance(progress, (int, float)):
                node.progress = min(100.0, max(0.0, float(progress)))
        return node

    def _block_log(self, message: dict[str, Any]) -> NodeView | None:
        node = self._node_of(message)
        # oocana's python SDK sends the stdio as the key ({"stdout": "stdout"}), hence the or.
        stdio = message.get("stdio") or ("stderr" if "stderr" in message else "stdout")
        self.logs.append((node.label if node else "", str(message.get("log", "")), stdio))
        return node

    def _block_log_json(self, message: dict[str, Any]) -> NodeView | None:
        node = self._node_of(message)
        self.logs.append((node.label if node else "", dumps(message.get("json")), "stdout"))
        return node

    def _block_warning(self, message: dict[str, Any]) -> NodeView | None:
        node = self._node_of(message)
        self.warnings.append((node.label if node else "", str(message.get("warning", ""))))
        return node

    def _block_error(self, message: dict[str, Any]) -> NodeView | None:
        node = self._node_of(message)
        self.block_errors.append((node.label if node else "", str(message.get("error", ""))))
        return node


def _key(stacks: list[dict[str, str]]) -> NodeKey:
    return tuple(level.get("node_id") or "?" for level in stacks)


def _block_name(message: dict[str, Any]) -> str | None:
    path = message.get("block_path")
    if not path:
        return None
    parts = str(path).replace("\\", "/").rstrip("/").split("/")
    # ".../blocks/add/block.oo.yaml" -> "add"
    return parts[-2] if len(parts) > 1 and parts[-1].endswith(".oo.yaml") else parts[-1]
