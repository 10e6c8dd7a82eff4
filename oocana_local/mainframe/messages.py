"""The closed set of messages on the bus, with oocana's names and fields.

A message is a plain ``dict`` with a ``type`` key and ``session_id``; block and flow
messages also carry ``job_id`` and ``stacks`` (the list of ``{flow_job_id, flow, node_id}``
levels from the root flow, empty for the root itself). Plain dicts keep publishing cheap
and let every subscriber (the JSONL recorder above all) write them as they are.

Reporters are publishers scoped to one session, flow job or block job, so call sites
only say ``started``, ``output``, ``finished``.

Fields beyond oocana's (tolerated by anything that reads oocana's reporter):

* ``FlowStarted.nodes``: the node ids of the flow, in manifest order.
* ``FlowOutput``: a root flow output (oocana reports none); ``FlowFinished.outputs``
  holds the last value of each flow output, ``FlowFinished.not_run`` maps each node that
  never ran to the input handles it was missing; ``unconsumed`` (when there are any) maps
  each node that ran to the number of values still queued on each input at the end.
* ``BlockFinished.node_id`` / ``BlockStarted.node_id``: the node, for convenience.
* ``BlockFinished.status``: ``"done"``, ``"failed"``, ``"timeout"``, ``"crashed"``,
  ``"cancelled"``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ..states import NodeState
from ..wire import names

if TYPE_CHECKING:
    from .bus import Bus

__all__ = [
    "MESSAGE_TYPES",
    "Stack",
    "SessionReporter",
    "FlowReporter",
    "BlockReporter",
    "now_ms",
]

Stack = dict[str, str]
"""``{"flow_job_id": ..., "flow": ..., "node_id": ...}``"""

MESSAGE_TYPES = names.BUS_MESSAGES


def now_ms() -> int:
    return int(time.time() * 1000)


class SessionReporter:
    """Publishes the session's own messages and hands out flow reporters."""

    __slots__ = ("bus", "session_id", "path", "partial", "cache")

    def __init__(self, bus: Bus, session_id: str, path: str, *, partial: bool = False,
                 cache: bool = False):
        self.bus = bus
        self.session_id = session_id
        self.path = path
        self.partial = partial
        self.cache = cache

    def started(self) -> None:
        self.bus.publish({"type": names.SESSION_STARTED, "session_id": self.session_id,
                          "create_at": now_ms(), "path": self.path,
                          "partial": self.partial, "cache": self.cache})

    def finished(self, error: str | None = None) -> None:
        msg: dict[str, Any] = {"type": names.SESSION_FINISHED, "session_id": self.session_id,
                               "finish_at": now_ms(), "path": self.path,
                               "partial": self.partial, "cache": self.cache}
        if error is not None:
            msg["error"] = error
        self.bus.publish(msg)

    def flow(self, job_id: str, flow_path: str, stacks: list[Stack], *,
             slotflow: bool = False) -> FlowReporter:
        return FlowReporter(self.bus, self.session_id, job_id, flow_path, stacks,
                            slotflow=slotflow)

    def block(self, job_id: str, block_path: str | None, stacks: list[Stack], *,
              node_id: str | None = None) -> BlockReporter:
        return BlockReporter(self.bus, self.session_id, job_id, block_path, stacks,
                             node_id=node_id)


class FlowReporter:
    """Messages of one flow job: the root flow or a subflow run as a node."""

    __slots__ = ("bus", "session_id", "job_id", "flow_path", "stacks", "names")

    def __init__(self, bus: Bus, session_id: str, job_id: str, flow_path: str,
                 stacks: list[Stack], *, slotflow: bool = False):
        self.names = (names.SLOTFLOW_STARTED, names.SLOTFLOW_OUTPUT, names.SLOTFLOW_FINISHED) \
            if slotflow else (names.SUBFLOW_STARTED, names.SUBFLOW_OUTPUT, names.SUBFLOW_FINISHED)
        """A subflow's event names: ``SubflowBlock*``, or ``Slotflow*`` in a slot."""
        self.bus = bus
        self.session_id = session_id
        self.job_id = job_id
        self.flow_path = flow_path
        self.stacks = stacks

    @property
    def is_root(self) -> bool:
        return not self.stacks

    def _msg(self, type_: str, **fields: Any) -> dict[str, Any]:
        msg: dict[str, Any] = {"type": type_, "session_id": self.session_id,
                               "job_id": self.job_id}
        if self.is_root:
            msg["flow_path"] = self.flow_path
        else:
            msg["block_path"] = self.flow_path
        msg["stacks"] = self.stacks
        msg.update(fields)
        return msg

    def started(self, inputs: dict[str, Any], nodes: list[str]) -> None:
        if self.is_root:
            self.bus.publish(self._msg(names.FLOW_STARTED, create_at=now_ms(), nodes=nodes))
        else:
            self.bus.publish(self._msg(self.names[0], inputs=inputs,
                                       create_at=now_ms(), nodes=nodes))

    def nodes_will_run(self, start: list[str], mid: list[str], end: list[str]) -> None:
        if self.is_root:
            self.bus.publish(self._msg(names.FLOW_NODES_WILL_RUN, start_nodes=start,
                                       mid_nodes=mid, end_nodes=end))

    def output(self, handle: str, value: Any) -> None:
        type_ = names.FLOW_OUTPUT if self.is_root else self.names[1]
        self.bus.publish(self._msg(type_, handle=handle, output=value))

    def progress(self, progress: float) -> None:
        if not self.is_root:
            self.bus.publish(self._msg(names.BLOCK_PROGRESS, progress=progress, rate=progress))

    def finished(self, error: str | None, *, outputs: dict[str, Any] | None = None,
                 not_run: dict[str, list[str]] | None = None,
                 error_detail: dict[str, Any] | None = None,
                 unconsumed: dict[str, dict[str, int]] | None = None) -> None:
        type_ = names.FLOW_FINISHED if self.is_root else self.names[2]
        fields: dict[str, Any] = {"error": error, "finish_at": now_ms()}
        if error_detail is not None:
            fields["_error"] = error_detail
        if outputs is not None:
            fields["outputs"] = outputs
        if not_run is not None:
            fields["not_run"] = not_run
        if unconsumed:
            fields["unconsumed"] = unconsumed
        self.bus.publish(self._msg(type_, **fields))


class BlockReporter:
    """Messages of one block job (a task or condition node, or a ``run_block`` job)."""

    __slots__ = ("bus", "session_id", "job_id", "block_path", "stacks", "node_id")

    def __init__(self, bus: Bus, session_id: str, job_id: str, block_path: str | None,
                 stacks: list[Stack], *, node_id: str | None = None):
        self.bus = bus
        self.session_id = session_id
        self.job_id = job_id
        self.block_path = block_path
        self.stacks = stacks
        self.node_id = node_id or (stacks[-1]["node_id"] if stacks else None)

    def _msg(self, type_: str) -> dict[str, Any]:
        msg: dict[str, Any] = {"type": type_, "session_id": self.session_id,
                               "job_id": self.job_id}
        if self.block_path is not None:
            msg["block_path"] = self.block_path
        msg["stacks"] = self.stacks
        return msg

    def publish(self, type_: str, **fields: Any) -> None:
        msg = self._msg(type_)
        msg.update(fields)
        self.bus.publish(msg)

    def started(self, inputs: dict[str, Any], *, cached: bool = False) -> None:
        msg = self._msg(names.BLOCK_STARTED)
        msg["inputs"] = inputs
        msg["create_at"] = now_ms()
        msg["node_id"] = self.node_id
        if cached:
            msg["cached"] = True
        self.bus.publish(msg)

    def output(self, handle: str, value: Any, options: dict[str, Any] | None = None) -> None:
        if options is None:
            self.publish(names.BLOCK_OUTPUT, handle=handle, output=value)
        else:
            self.publish(names.BLOCK_OUTPUT, handle=handle, output=value, options=options)

    def outputs(self, outputs: dict[str, Any]) -> None:
        self.publish(names.BLOCK_OUTPUTS, outputs=outputs)

    def progress(self, progress: float) -> None:
        self.publish(names.BLOCK_PROGRESS, progress=progress)

    def log(self, line: str, stdio: str = "stdout") -> None:
        self.publish(names.BLOCK_LOG, log=line, stdio=stdio)

    def log_json(self, payload: Any) -> None:
        self.publish(names.BLOCK_LOG_JSON, json=payload)

    def warning(self, warning: str) -> None:
        self.publish(names.BLOCK_WARNING, warning=warning)

    def error(self, error: str) -> None:
        self.publish(names.BLOCK_ERROR, error=error)

    def message(self, payload: Any) -> None:
        self.publish(names.BLOCK_MESSAGE, payload=payload)

    def hide(self, secrets: list[str]) -> None:
        """Secret values the job received: masked in every message from now on."""
        self.bus.redactor.add(secrets)

    def preview(self, payload: Any, node_id: str | None = None) -> None:
        if node_id is None:
            self.publish(names.BLOCK_PREVIEW, payload=payload)
        else:
            self.publish(names.BLOCK_PREVIEW, payload=payload, node_id=node_id)

    def finished(self, result: dict[str, Any] | None = None, error: str | None = None,
                 status: NodeState = NodeState.DONE,
                 cached_duration: float | None = None) -> None:
        """``cached_duration``: the job was replayed from the node cache; how long the
        run it replays took."""
        msg = self._msg(names.BLOCK_FINISHED)
        if error is not None:
            msg["error"] = error
        elif result is not None:
            msg["result"] = result
        msg["finish_at"] = now_ms()
        msg["node_id"] = self.node_id
        msg["status"] = str(status)
        if cached_duration is not None:
            msg["cached"] = True
            msg["cached_duration"] = cached_duration
        self.bus.publish(msg)
