"""Answers to what a block asks the engine: ``query_block``, ``query_downstream``,
``run_block``.

Shapes follow oocana-python.md §1.3. ``run_block`` runs a task block as a job of its own
(node id ``run_block::<block>``, the job id the caller chose, the caller's stacks) or a
subflow as a nested flow job. Its events are published on the bus like any other and
forwarded to the caller (``message["emit_event"]``, see ``executor/pool.py``); its
failure reaches the caller as ``BlockExecuteException`` and does not fail the flow.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import ManifestError
from ..graph.model import FlowTarget, GraphNode, InputSlot, NodeTarget
from ..manifest.resolved import Flow, TaskBlock, wire_handle
from .defaults import with_defaults

if TYPE_CHECKING:
    from ..mainframe.messages import BlockReporter
    from .flow_job import FlowJob

__all__ = ["answer_request"]


async def answer_request(flow_job: FlowJob, node: GraphNode | None, reporter: BlockReporter,
                         message: dict[str, Any]) -> Any:
    """``node`` is None for a block started by ``run_block`` (it has no place in the flow)."""
    action = message.get("action")
    if action == "QueryDownstream":
        if node is None:
            return {}
        return query_downstream(flow_job, node, message.get("handles"))
    if action == "QueryBlock":
        return query_block(flow_job, message.get("block", ""))
    if action == "RunBlock":
        return await run_block(flow_job, message)
    raise ValueError(f"oocana-local does not support the {action!r} request yet")


def query_downstream(flow_job: FlowJob, node: GraphNode, handles: list[str] | None
                     ) -> dict[str, Any]:
    graph = flow_job.graph
    result: dict[str, Any] = {}
    for handle in node.outputs_def:
        if handles and handle not in handles:
            continue
        to_node, to_flow = [], []
        for target in node.targets.get(handle, ()):
            if isinstance(target, NodeTarget):
                down = graph.nodes[target.node_id]
                to_node.append({
                    "node_id": target.node_id,
                    "description": down.node.description,
                    "input_handle": target.handle,
                    "input_handle_def": down.inputs[target.handle].definition.wire(),
                })
            elif isinstance(target, FlowTarget):
                definition = graph.flow.outputs_def.get(target.handle)
                to_flow.append({
                    "output_handle": target.handle,
                    "output_handle_def": definition.wire() if definition else None,
                })
        result[handle] = {"to_node": to_node, "to_flow": to_flow}
    return result


def query_block(flow_job: FlowJob, ref: str) -> dict[str, Any]:
    try:
        block = flow_job.session.loader.resolve_block(ref, flow_job.graph.flow)
    except ManifestError as exc:
        raise ValueError(f"block {ref!r} not found: {exc}") from None
    is_flow = isinstance(block, Flow)
    return {
        "type": "subflow" if is_flow else "task",
        "description": block.description,
        "inputs_def": [d.wire() for d in block.inputs_def.values()],
        "outputs_def": [d.wire() for d in block.outputs_def.values()],
        "additional_inputs": False if is_flow else block.additional_inputs,
        "additional_outputs": False if is_flow else block.additional_outputs,
    }


# -- run_block ----------------------------------------------------------------------------

Emit = Callable[[dict[str, Any]], None]


def _inputs_for(ref: str, block: TaskBlock | Flow, given: dict[str, Any],
                extra_defs: list[dict[str, Any]], strict: bool) -> dict[str, Any]:
    """The given inputs, plus each missing one's default (or None when nullable); with
    ``strict``, each checked against its handle's ``json_schema``."""
    inputs, missing = with_defaults(block.inputs_def, given)
    if missing:
        raise ValueError(f"block {ref!r} needs input(s) {', '.join(map(repr, missing))}: "
                         "they were not given, have no default value and are not nullable")
    if strict:
        schemas = {h: d.json_schema for h, d in block.inputs_def.items()}
        schemas.update({d["handle"]: d.get("json_schema") for d in extra_defs
                        if isinstance(d, dict) and "handle" in d})
        unknown = [h for h in inputs if h not in schemas]
        if unknown:
            raise ValueError(f"block {ref!r} has no input handle(s) "
                             f"{', '.join(map(repr, unknown))}")
        problems = []
        nullable = {h for h, d in block.inputs_def.items() if d.nullable}
        for handle, value in inputs.items():
            if value is None and handle in nullable:
                continue
            problem = _schema_problem(schemas.get(handle), value)
            if problem:
                problems.append(f"input {handle!r}: {problem}")
        if problems:
            raise ValueError(f"block {ref!r}: inputs do not match their json_schema:\n"
                             + "\n".join(problems))
    return inputs


def _schema_problem(schema: Any, value: Any) -> str | None:
    if not isinstance(schema, dict) or not schema:
        return None
    if schema.get("contentMediaType") in ("oomol/var", "oomol/bin", "oomol/secret",
                                          "oomol/credential"):
        return None  # references and placeholders: the worker turns them into values
    if value is None and schema.get("type") is not None:
        return None if _nullable_ok(schema) else "None is not allowed"
    import jsonschema

    try:
        cls = jsonschema.validators.validator_for(schema)
        error = jsonschema.exceptions.best_match(cls(schema).iter_errors(value))
    except jsonschema.exceptions.SchemaError as exc:
        return f"its json_schema is invalid: {exc.message}"
    return None if error is None else error.message


def _nullable_ok(schema: dict[str, Any]) -> bool:
    type_ = schema.get("type")
    return type_ == "null" or (isinstance(type_, list) and "null" in type_)


def _hold_refs(flow_job: FlowJob, values: Any) -> None:
    """Values of a run_block job live until the session ends (the caller may still fetch
    them when it handles the event)."""
    for value in values:
        flow_job.session.values.hold(value)


async def run_block(flow_job: FlowJob, message: dict[str, Any]) -> None:
    ref = str(message.get("block") or "")
    emit: Emit = message.get("emit_event") or (lambda event: None)
    session = flow_job.session
    try:
        block = session.loader.resolve_block(ref, flow_job.graph.flow)
    except ManifestError as exc:
        raise ValueError(f"block {ref!r} not found: {exc}") from None
    payload = message.get("payload") or {}
    given = payload.get("inputs") or {}
    if not isinstance(given, dict):
        raise ValueError("run_block inputs must be a dict")
    _hold_refs(flow_job, given.values())
    extra_in = [d for d in payload.get("additional_inputs_def") or () if isinstance(d, dict)]
    extra_out = [d for d in payload.get("additional_outputs_def") or () if isinstance(d, dict)]
    inputs = _inputs_for(ref, block, given, extra_in, bool(message.get("strict")))
    job_id = str(message.get("block_job_id") or session.new_job_id())
    stacks = list(message.get("stacks") or ())
    if isinstance(block, Flow):
        await _run_subflow(flow_job, block, job_id, stacks, inputs, emit)
    else:
        await _run_task(flow_job, ref, block, job_id, stacks, inputs, extra_in, extra_out, emit)


async def _run_task(flow_job: FlowJob, ref: str, block: TaskBlock, job_id: str,
                    stacks: list[dict[str, str]], inputs: dict[str, Any],
                    extra_in: list[dict[str, Any]], extra_out: list[dict[str, Any]],
                    emit: Emit) -> None:
    from .node_jobs import build_job

    session = flow_job.session
    node_id = f"run_block::{ref}"
    reporter = session.reporter.block(job_id, str(block.path) if block.path else None, stacks)
    reporter.node_id = node_id
    reporter.started(inputs)
    if block.executor != "python":
        error = f"oocana-local runs python blocks only; {ref} uses {block.executor!r}"
        reporter.finished(error=error, status="failed")
        emit({"type": "BlockFinished", "job_id": job_id, "error": error})
        return
    node = GraphNode(node_id=node_id, kind="task", node=None,  # type: ignore[arg-type]
                     inputs={h: InputSlot(h, d, connected=False)
                             for h, d in block.inputs_def.items()},
                     outputs_def=dict(block.outputs_def))
    job = build_job(flow_job, node, block, job_id, stacks, inputs)
    for definition in extra_in:
        job.inputs_def[definition["handle"]] = wire_handle(definition, is_additional=True)
    for definition in extra_out:
        job.outputs_def[definition["handle"]] = wire_handle(definition, is_additional=True)
    job.spawn_key = None  # its own worker could be the one waiting for it
    job.nested = True
    handler = _RunBlockHandler(flow_job, reporter, emit)
    try:
        outcome = await session.executor.run(job, handler)
    except asyncio.CancelledError:
        reporter.finished(error="Cancelled", status="cancelled")
        raise
    if outcome.status == "done":
        _hold_refs(flow_job, (outcome.result or {}).values())
        reporter.finished(result=outcome.result)
        event: dict[str, Any] = {"type": "BlockFinished", "job_id": job_id}
        if outcome.result:
            event["result"] = outcome.result
        emit(event)
    else:
        error = outcome.error or outcome.status
        reporter.finished(error=error, status=outcome.status)
        emit({"type": "BlockFinished", "job_id": job_id, "error": error})


async def _run_subflow(flow_job: FlowJob, flow: Flow, job_id: str,
                       stacks: list[dict[str, str]], inputs: dict[str, Any],
                       emit: Emit) -> None:
    from .flow_job import FlowJob

    session = flow_job.session
    reporter = session.reporter.flow(job_id, str(flow.path), stacks)

    def on_output(handle: str, value: Any) -> None:
        emit({"type": "SubflowBlockOutput", "job_id": job_id, "handle": handle,
              "output": value})

    sub = FlowJob(session, session.graph(flow), job_id=job_id, stacks=stacks,
                  reporter=reporter, inputs=inputs, on_output=on_output)
    sub.hold_outputs = True
    failure = await sub.run()
    event: dict[str, Any] = {"type": "SubflowBlockFinished", "job_id": job_id}
    if failure is not None:
        event["error"] = failure.describe()
    emit(event)


class _RunBlockHandler:
    """A run_block job's messages: published on the bus, forwarded to the caller."""

    __slots__ = ("flow_job", "reporter", "emit")

    def __init__(self, flow_job: FlowJob, reporter: BlockReporter, emit: Emit):
        self.flow_job = flow_job
        self.reporter = reporter
        self.emit = emit

    def on_message(self, message: dict[str, Any]) -> None:
        from .node_jobs import _PASSTHROUGH

        type_ = message["type"]
        job_id = self.reporter.job_id
        if type_ == "BlockOutput":
            self.reporter.output(message["handle"], message["output"], message.get("options"))
            _hold_refs(self.flow_job, (message["output"],))
            self.emit({"type": "BlockOutput", "job_id": job_id, "handle": message["handle"],
                       "output": message["output"]})
        elif type_ == "BlockOutputs":
            outputs = message["outputs"]
            self.reporter.outputs(outputs)
            _hold_refs(self.flow_job, outputs.values())
            self.emit({"type": "BlockOutputs", "job_id": job_id, "outputs": outputs})
        elif type_ == "BlockProgress":
            self.reporter.progress(message["progress"])
            self.emit({"type": "BlockProgress", "job_id": job_id,
                       "progress": message["progress"]})
        elif type_ == "BlockPreview":
            self.reporter.preview(message["payload"])
        else:
            fields = _PASSTHROUGH.get(type_)
            if fields is not None:
                self.reporter.publish(type_, **{f: message.get(f) for f in fields})

    async def on_request(self, message: dict[str, Any]) -> Any:
        return await answer_request(self.flow_job, None, self.reporter, message)
