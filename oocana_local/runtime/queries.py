"""Answers to what a running block asks about its flow: ``query_block``,
``query_downstream``, and the inputs of a ``run_block`` call. Shapes follow
oocana-python.md §1.3."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ManifestError
from ..graph.model import FlowTarget, GraphNode, NodeTarget
from ..manifest.resolved import Flow, TaskBlock
from ..wire.requests import RunBlockRequest
from ..wire.values import REFERENCE_TYPES
from .defaults import with_defaults

if TYPE_CHECKING:
    from .scope import FlowScope

__all__ = ["query_block", "query_downstream", "run_block_inputs"]


def query_downstream(scope: FlowScope, node: GraphNode, handles: list[str] | None
                     ) -> dict[str, Any]:
    graph = scope.graph
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


def query_block(scope: FlowScope, ref: str) -> dict[str, Any]:
    try:
        block = scope.session.loader.resolve_block(ref, scope.graph.flow)
    except ManifestError as exc:
        raise ValueError(f"block {ref!r} not found: {exc}") from None
    task = block if isinstance(block, TaskBlock) else None
    return {
        "type": "task" if task else "subflow",
        "description": block.description,
        "inputs_def": [d.wire() for d in block.inputs_def.values()],
        "outputs_def": [d.wire() for d in block.outputs_def.values()],
        "additional_inputs": task.additional_inputs if task else False,
        "additional_outputs": task.additional_outputs if task else False,
    }


def run_block_inputs(ref: str, block: TaskBlock | Flow, request: RunBlockRequest
                     ) -> dict[str, Any]:
    """The given inputs, plus each missing one's default (or None when nullable); with
    ``strict``, each checked against its handle's ``json_schema``."""
    extra_defs, strict = request.additional_inputs_def, request.strict
    inputs, missing = with_defaults(block.inputs_def, request.inputs)
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
    if schema.get("contentMediaType") in REFERENCE_TYPES:
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
