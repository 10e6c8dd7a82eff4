"""Compile a resolved flow into a ``RunGraph`` (oocana-engine.md §1.6, §2.7).

Only handles of a node's effective ``inputs_def`` exist; ``inputs_from`` entries for
other handles are ignored. Ignored nodes are dropped with their edges, value nodes turn
into static values, and every edge is stored on its upstream end so a delivered value
follows a precomputed list.

Compiling reports nothing: every edge it drops (to a missing node or flow input, an
unsupported node, an undeclared flow output) is a warning of ``check``
(``manifest/validate.py``), which ``run`` prints before it starts.
"""

from __future__ import annotations

from typing import Any, Literal

from ..manifest.handles import effective_inputs, effective_outputs
from ..manifest.resolved import (
    MISSING,
    ConditionNode,
    Flow,
    HandleDef,
    InputFrom,
    SubflowNode,
    TaskNode,
    ValueNode,
)
from .model import FlowTarget, GraphNode, InputSlot, NodeTarget, RunGraph, Target

__all__ = ["compile_flow", "effective_inputs_def", "effective_outputs_def"]


def effective_inputs_def(node: Any) -> dict[str, HandleDef]:
    """The handles a node really has (the rule of ``manifest/handles.py``, which ``check``
    uses too)."""
    return effective_inputs(node) or {}


def effective_outputs_def(node: Any) -> dict[str, HandleDef]:
    return effective_outputs(node) or {}


def compile_flow(flow: Flow) -> RunGraph:
    value_nodes: dict[str, ValueNode] = {}
    runnable: dict[str, Any] = {}
    for node in flow.nodes:
        if node.ignore:
            continue
        if isinstance(node, ValueNode):
            value_nodes[node.node_id] = node
        elif isinstance(node, (TaskNode, SubflowNode, ConditionNode)):
            runnable[node.node_id] = node

    graph_nodes: dict[str, GraphNode] = {}
    for node_id, node in runnable.items():
        kind: Literal["task", "subflow", "condition"] = (
            "task" if isinstance(node, TaskNode)
            else "subflow" if isinstance(node, SubflowNode) else "condition")
        graph_nodes[node_id] = GraphNode(
            node_id=node_id, kind=kind, node=node, inputs={},
            outputs_def=effective_outputs_def(node),
            concurrency=max(1, node.concurrency or 1),
            timeout=node.timeout if isinstance(node, TaskNode) else None,
            progress_weight=node.progress_weight,
        )

    flow_inputs: dict[str, list[Target]] = {h: [] for h in flow.inputs_def}

    for node_id, node in runnable.items():
        gnode = graph_nodes[node_id]
        wiring: dict[str, InputFrom] = {}
        for item in node.inputs_from:
            wiring.setdefault(item.handle, item)
        for handle, definition in effective_inputs_def(node).items():
            item = wiring.get(handle)
            slot = InputSlot(handle=handle, definition=definition, connected=False)
            gnode.inputs[handle] = slot
            if item is None:
                continue
            slot.static = item.value
            slot.serialize_for_cache = item.serialize_for_cache
            value_sources = []
            for src in item.from_node:
                if src.node_id in value_nodes:
                    value_sources.append(src)
                    continue
                upstream = graph_nodes.get(src.node_id)
                if upstream is None:
                    continue
                upstream.targets.setdefault(src.output_handle, []).append(
                    NodeTarget(node_id, handle))
                gnode.upstream.add(src.node_id)
                slot.connected = True
            for flow_src in item.from_flow:
                if flow_src.input_handle not in flow_inputs:
                    continue
                flow_inputs[flow_src.input_handle].append(NodeTarget(node_id, handle))
                slot.connected = True
            # oocana: a value node only counts when it is the handle's one and only source.
            if len(value_sources) == 1 and len(item.from_node) == 1 and not item.from_flow:
                slot.static = _value_of(value_nodes[value_sources[0].node_id],
                                        value_sources[0].output_handle, slot.static)

    for out in flow.outputs_from:
        if out.handle not in flow.outputs_def:
            continue
        for src in out.from_node:
            upstream = graph_nodes.get(src.node_id)
            if upstream is None:
                continue
            upstream.targets.setdefault(src.output_handle, []).append(FlowTarget(out.handle))
        for flow_src in out.from_flow:
            if flow_src.input_handle in flow_inputs:
                flow_inputs[flow_src.input_handle].append(FlowTarget(out.handle))

    return RunGraph(flow=flow, nodes=graph_nodes, flow_inputs=flow_inputs)


def _value_of(node: ValueNode, handle: str, fallback: Any) -> Any:
    for value in node.values:
        if value.handle == handle:
            return value.value if value.value is not MISSING else fallback
    return fallback
