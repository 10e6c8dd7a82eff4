"""Answers to what a block asks the engine: ``query_block``, ``query_downstream``, ...

Shapes follow oocana-python.md §1.3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ManifestError
from ..graph.model import FlowTarget, GraphNode, NodeTarget
from ..manifest.resolved import Flow, HandleDef

if TYPE_CHECKING:
    from ..mainframe.messages import BlockReporter
    from .flow_job import FlowJob

__all__ = ["answer_request"]


async def answer_request(flow_job: FlowJob, node: GraphNode, reporter: BlockReporter,
                         message: dict[str, Any]) -> Any:
    action = message.get("action")
    if action == "QueryDownstream":
        return query_downstream(flow_job, node, message.get("handles"))
    if action == "QueryBlock":
        return query_block(flow_job, message.get("block", ""))
    raise ValueError(f"oocana-local does not support the {action!r} request yet")


def _handle_dict(definition: HandleDef) -> dict[str, Any]:
    raw = dict(definition.raw) if definition.raw else {"handle": definition.handle}
    if definition.json_schema is not None:
        raw.setdefault("json_schema", definition.json_schema)
    return raw


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
                    "input_handle_def": _handle_dict(down.inputs[target.handle].definition),
                })
            elif isinstance(target, FlowTarget):
                definition = graph.flow.outputs_def.get(target.handle)
                to_flow.append({
                    "output_handle": target.handle,
                    "output_handle_def": _handle_dict(definition) if definition else None,
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
        "inputs_def": [_handle_dict(d) for d in block.inputs_def.values()],
        "outputs_def": [_handle_dict(d) for d in block.outputs_def.values()],
        "additional_inputs": False if is_flow else block.additional_inputs,
        "additional_outputs": False if is_flow else block.additional_outputs,
    }
