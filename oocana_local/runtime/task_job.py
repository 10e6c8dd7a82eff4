"""One task block run as a job: for a flow node and for ``context.run_block`` alike.

``run_task_job`` hands a ``Job`` to the session's executor with a ``TaskJobHandler``, and
reports its start and end; where the job's values go is the ``OutputSink``'s business:
``NodeSink`` routes them through the flow, ``CallerSink`` (``run_block``) forwards them to
the block that asked. ``job_spec`` builds what the worker needs, once per node.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import ManifestError
from ..executor.base import Outcome
from ..graph.model import GraphNode, NodeTarget
from ..manifest.resolved import Flow, TaskBlock, wire_handle
from ..states import NodeState, OutcomeStatus
from ..wire import names
from ..wire.job import InjectTarget, Job, JobSpec, SessionFields
from ..wire.requests import EventSink, RunBlockRequest
from . import queries
from .node_answers import timeout_error, warn_mismatches

if TYPE_CHECKING:
    from ..mainframe.messages import BlockReporter, Stack
    from .scope import FlowScope
    from .session import Session

__all__ = ["run_task_job", "begin_task_job", "end_task_job", "run_block", "job_spec",
           "node_spec", "session_fields",
           "TaskJobHandler",
           "NodeSink", "CallerSink"]


class OutputSink(Protocol):
    """Where a task job's values go besides the bus."""

    def output(self, handle: str, value: Any, options: dict[str, Any] | None) -> None: ...

    def outputs(self, outputs: dict[str, Any]) -> None: ...

    def progress(self, progress: float) -> None: ...

    def preview(self, payload: Any) -> None: ...

    def finished(self, outcome: Outcome) -> None: ...


class TaskJobHandler:
    """What a task job says, published on the bus and passed to its sink; what it asks,
    answered in the scope of its flow."""

    __slots__ = ("scope", "node", "reporter", "sink", "inputs", "spec", "job")

    def __init__(self, scope: FlowScope, node: GraphNode | None, reporter: BlockReporter,
                 sink: OutputSink, inputs: dict[str, Any], spec: JobSpec, job: Job):
        self.scope = scope
        self.node = node
        self.reporter = reporter
        self.sink = sink
        self.inputs = inputs
        self.spec = spec
        self.job = job

    def on_start(self, cached: bool) -> None:
        self.reporter.started(self.inputs, cached=cached)
        if self.node is not None and not cached:
            warn_mismatches(self.node, self.inputs, self.reporter)

    def on_event(self, message: dict[str, Any]) -> None:
        type_ = message["type"]
        if type_ == names.BLOCK_OUTPUT:
            options = message.get("options")
            self.reporter.output(message["handle"], message["output"], options)
            self.sink.output(message["handle"], message["output"], options)
        elif type_ == names.BLOCK_OUTPUTS:
            self.reporter.outputs(message["outputs"])
            self.sink.outputs(message["outputs"])
        elif type_ == names.BLOCK_PROGRESS:
            self.reporter.progress(message["progress"])
            self.sink.progress(message["progress"])
        elif type_ == names.BLOCK_PREVIEW:
            self.reporter.preview(message["payload"])
            self.sink.preview(message["payload"])
        elif type_ == names.BLOCK_SECRETS:  # masked in every record of the run from now on
            self.reporter.hide(message["values"])
        else:
            fields = names.PASSTHROUGH.get(type_)
            if fields is not None:
                self.reporter.publish(type_, **{f: message.get(f) for f in fields})

    async def run_block(self, request: RunBlockRequest, events: EventSink) -> None:
        await run_block(self.scope, request, events)

    async def query_block(self, block: str) -> dict[str, Any]:
        return queries.query_block(self.scope, block)

    async def query_downstream(self, handles: list[str] | None) -> dict[str, Any]:
        if self.node is None:  # a run_block job has no place in the flow
            return {}
        return queries.query_downstream(self.scope, self.node, handles)


def begin_task_job(scope: FlowScope, spec: JobSpec, fields: SessionFields, *,
                   job_id: str, stacks: list[Stack], inputs: dict[str, Any],
                   reporter: BlockReporter, sink: OutputSink, node: GraphNode | None = None
                   ) -> tuple[TaskJobHandler, Outcome | None]:
    """The job and its handler, ready for the executor; with the outcome it ends with at
    once when it cannot run (it injects into a process that does not exist)."""
    session = scope.session
    job = spec.job(job_id, stacks, inputs, session=fields, nested=node is None,
                   masks=session.masks())
    handler = TaskJobHandler(scope, node, reporter, sink, inputs, spec, job)
    spawned = session.spawned
    if spec.spawn_key is not None:
        spawned.add(spec.spawn_key)
    if spec.inject is not None and spec.inject.spawn_key not in spawned:
        handler.on_start(False)
        return handler, Outcome(OutcomeStatus.FAILED, error=_not_spawned(spec, spec.inject))
    return handler, None


def end_task_job(handler: TaskJobHandler, outcome: Outcome) -> Outcome:
    """Report the job's end and hand its result to its sink."""
    reporter = handler.reporter
    if outcome.ok:
        reporter.finished(result=outcome.result,
                          cached_duration=outcome.cached_duration
                          if outcome.status is OutcomeStatus.CACHED else None)
    else:
        if outcome.status is OutcomeStatus.TIMEOUT:
            reporter.error(f"{handler.job.job_id} timeout after {handler.spec.timeout}s")
            if handler.node is not None:
                outcome.error = timeout_error(handler.node)
        outcome.error = outcome.error or outcome.status.value
        reporter.finished(error=outcome.error, status=NodeState.of(outcome.status))
    handler.sink.finished(outcome)
    return outcome


async def run_task_job(scope: FlowScope, spec: JobSpec, fields: SessionFields, *,
                       job_id: str, stacks: list[Stack], inputs: dict[str, Any],
                       reporter: BlockReporter, sink: OutputSink,
                       node: GraphNode | None = None) -> Outcome:
    handler, outcome = begin_task_job(scope, spec, fields, job_id=job_id, stacks=stacks,
                                      inputs=inputs, reporter=reporter, sink=sink, node=node)
    if outcome is None:
        try:
            outcome = await scope.session.executor.run(handler.job, handler)
        except asyncio.CancelledError:
            reporter.finished(error="Cancelled", status=NodeState.CANCELLED)
            raise
    return end_task_job(handler, outcome)


def _not_spawned(spec: JobSpec, target: InjectTarget) -> str:
    return (f"node {spec.node_id!r} runs in the process of node {target.node_id!r} (inject), "
            f"but {target.node_id!r} has not run yet in this session, so that process does "
            f"not exist; make {spec.node_id!r} wait for {target.node_id!r}: connect one of "
            f"its inputs to an output of {target.node_id!r}")


# -- the job spec ---------------------------------------------------------------------------

def session_fields(session: Session, flow: Flow, block: TaskBlock) -> SessionFields:
    """What a job of ``block`` in ``flow`` takes from its session (made once per flow and
    package of the session)."""
    package = block.package or flow.package
    key = (flow.path, package.name if package else "")
    fields = session.job_fields.get(key)
    if fields is None:
        tmp_dir = session.tmp_dir(flow)
        fields = session.job_fields[key] = SessionFields(
            session_id=session.session_id, secrets_file=session.secrets_file,
            session_dir=str(session.session_dir), tmp_dir=str(tmp_dir),
            tmp_pkg_dir=str(tmp_dir / (package.dir.name if package else "workspace")),
            pkg_dir=str(session.pkg_data_dir(package)), env=session.env)
    return fields


def job_spec(flow: Flow, block: TaskBlock, *, node_id: str,
             inputs_def: dict[str, dict[str, Any]], outputs_def: dict[str, dict[str, Any]],
             patch: dict[str, list[dict[str, Any]]] | None = None,
             spawn_key: str | None = None, timeout: float | None = None,
             inject: InjectTarget | None = None, keeps_state: bool = False,
             secret_schemas: list[str] | None = None) -> JobSpec:
    package = block.package or flow.package
    return JobSpec(
        node_id=node_id, executor=block.executor, dir=str(block.dir), entry=block.entry,
        # Node.js blocks look up default, then main, when no function is named.
        function=(block.function or "main") if block.executor == "python"
        or block.options.get("function") else "",
        source=block.source, block_path=str(block.path) if block.path else None,
        inputs_def=inputs_def, outputs_def=outputs_def, inputs_def_patch=patch or None,
        package_name=package.dir.name if package else "workspace",
        package_dir=str(package.dir) if package else None,
        spawn_key=None if block.service else spawn_key, timeout=timeout,
        inject=inject, keeps_state=keeps_state, service=block.service,
        resources=block.options.get("resources") or None, secret_schemas=secret_schemas,
        cache_identity=None if block.path is not None else {
            "executor": block.executor, "entry": block.entry, "function": block.function,
            "options": block.options, "spawn": block.spawn},
    )


def node_spec(scope: FlowScope, node: GraphNode, block: TaskBlock) -> JobSpec:
    """The spec of a task node, built on the first run of the node in any session."""
    graph = scope.graph
    inputs_def = {h: s.definition.wire() for h, s in node.inputs.items()}
    for handle, slot in node.inputs.items():
        if slot.serialize_for_cache:
            inputs_def[handle]["_deserialize_from_cache"] = True
    outputs_def = {h: d.wire() for h, d in node.outputs_def.items()}
    for handle, targets in node.targets.items():
        if handle in outputs_def and any(
                isinstance(t, NodeTarget) and t.handle in graph.nodes[t.node_id].inputs
                and graph.nodes[t.node_id].inputs[t.handle].serialize_for_cache
                for t in targets):
            outputs_def[handle]["_serialize_for_cache"] = True
    patch = {item.handle: list(item.schema_overrides)
             for item in getattr(node.node, "inputs_from", ()) if item.schema_overrides}
    flow = graph.flow
    # ``inject: {node_id: X}`` runs in X's process; X's spawn key names it (``check`` has
    # made sure X is a spawn node of this flow in the same language).
    injected = getattr(node.node, "inject", None)
    inject = None if injected is None or injected.node_id is None or injected.package \
        else InjectTarget(injected.node_id, _spawn_key(flow, injected.node_id))
    keeps_state = block.spawn and any(
        getattr(getattr(other.node, "inject", None), "node_id", None) == node.node_id
        for other in graph.nodes.values())
    spec = scope.specs[node.node_id] = job_spec(
        flow, block, node_id=node.node_id, inputs_def=inputs_def,
        outputs_def=outputs_def, patch=patch,
        spawn_key=_spawn_key(flow, node.node_id) if block.spawn else None,
        timeout=node.timeout, inject=inject, keeps_state=keeps_state,
        secret_schemas=[h for h, s in node.inputs.items() if s.definition.names_secret()])
    return spec


def _spawn_key(flow: Flow, node_id: str) -> str:
    """The worker of a ``spawn: true`` node: one per node of a flow file."""
    return f"{flow.path}#{node_id}"


# -- where values go ---------------------------------------------------------------------------

class NodeSink:
    """A flow node's values go to its targets in the flow."""

    __slots__ = ("scope", "node")

    def __init__(self, scope: FlowScope, node: GraphNode):
        self.scope = scope
        self.node = node

    def output(self, handle: str, value: Any, options: dict[str, Any] | None) -> None:
        self.scope.route(self.node, handle, value, options)

    def outputs(self, outputs: dict[str, Any]) -> None:
        for handle, value in outputs.items():
            self.scope.route(self.node, handle, value, None)

    def progress(self, progress: float) -> None:
        self.scope.progress(self.node.node_id, progress)

    def preview(self, payload: Any) -> None:
        self.scope.forward(payload, self.node.node_id)

    def finished(self, outcome: Outcome) -> None:
        if outcome.ok and outcome.result:
            for handle, value in outcome.result.items():
                self.scope.route(self.node, handle, value, None)


class CallerSink:
    """A ``run_block`` job's values go back to the block that started it. They live until
    the session ends: the caller may still fetch them when it handles the event."""

    __slots__ = ("values", "events", "job_id")

    def __init__(self, session: Session, events: EventSink, job_id: str):
        self.values = session.values
        self.events = events
        self.job_id = job_id

    def _hold(self, values: Any) -> None:
        for value in values:
            self.values.hold(value)

    def output(self, handle: str, value: Any, options: dict[str, Any] | None) -> None:
        self._hold((value,))
        self.events({"type": names.BLOCK_OUTPUT, "job_id": self.job_id, "handle": handle,
                     "output": value})

    def outputs(self, outputs: dict[str, Any]) -> None:
        self._hold(outputs.values())
        self.events({"type": names.BLOCK_OUTPUTS, "job_id": self.job_id, "outputs": outputs})

    def progress(self, progress: float) -> None:
        self.events({"type": names.BLOCK_PROGRESS, "job_id": self.job_id,
                     "progress": progress})

    def preview(self, payload: Any) -> None:
        pass

    def finished(self, outcome: Outcome) -> None:
        event: dict[str, Any] = {"type": names.BLOCK_FINISHED, "job_id": self.job_id}
        if outcome.ok:
            self._hold((outcome.result or {}).values())
            if outcome.result:
                event["result"] = outcome.result
        else:
            event["error"] = outcome.error
        self.events(event)


# -- context.run_block ------------------------------------------------------------------------

async def run_block(scope: FlowScope, request: RunBlockRequest, events: EventSink) -> None:
    """Run the block a running block asked for: a task as a job of its own (node id
    ``run_block::<block>``, the caller's job id and stacks), a subflow as a nested flow.
    Its failure reaches the caller only."""
    ref = request.block
    session = scope.session
    try:
        block = session.loader.resolve_block(ref, scope.graph.flow)
    except ManifestError as exc:
        raise ValueError(f"block {ref!r} not found: {exc}") from None
    for value in request.inputs.values():
        session.values.hold(value)
    inputs = queries.run_block_inputs(ref, block, request)
    job_id = request.job_id or session.new_job_id()
    if isinstance(block, Flow):
        await _run_block_subflow(scope, block, job_id, request.stacks, inputs, events)
        return
    node_id = f"run_block::{ref}"
    inputs_def = {h: d.wire() for h, d in block.inputs_def.items()}
    inputs_def.update({d["handle"]: wire_handle(d, is_additional=True)
                       for d in request.additional_inputs_def if "handle" in d})
    outputs_def = {h: d.wire() for h, d in block.outputs_def.items()}
    outputs_def.update({d["handle"]: wire_handle(d, is_additional=True)
                        for d in request.additional_outputs_def if "handle" in d})
    # No spawn key: its own worker could be the one waiting for it.
    flow = scope.graph.flow
    spec = job_spec(flow, block, node_id=node_id, inputs_def=inputs_def,
                    outputs_def=outputs_def)
    reporter = session.reporter.block(job_id, spec.block_path, request.stacks,
                                      node_id=node_id)
    await run_task_job(scope, spec, session_fields(session, flow, block), job_id=job_id,
                       stacks=request.stacks, inputs=inputs, reporter=reporter,
                       sink=CallerSink(session, events, job_id))


async def _run_block_subflow(scope: FlowScope, flow: Flow, job_id: str, stacks: list[Stack],
                             inputs: dict[str, Any], events: EventSink) -> None:
    session = scope.session

    def on_output(handle: str, value: Any) -> None:
        events({"type": names.SUBFLOW_OUTPUT, "job_id": job_id, "handle": handle,
                "output": value})

    failure = await scope.run_subflow(
        session.graph(flow), job_id=job_id, stacks=stacks,
        reporter=session.reporter.flow(job_id, str(flow.path), stacks), inputs=inputs,
        on_output=on_output, hold_outputs=True)
    event: dict[str, Any] = {"type": names.SUBFLOW_FINISHED, "job_id": job_id}
    if failure is not None:
        event["error"] = failure.describe()
    events(event)

