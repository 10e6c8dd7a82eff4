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
    FromFlow,
    HandleDef,
    InputFrom,
    SlotNode,
    SlotProvider,
    SubflowNode,
    TaskBlock,
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


def compile_flow(flow: Flow, providers: dict[str, SlotProvider] | None = None) -> RunGraph:
    """``providers``: what the subflow node running ``flow`` puts in its slots."""
    providers = providers or {}
    value_nodes: dict[str, ValueNode] = {}
    runnable: dict[str, Any] = {}
    slotflows: set[str] = set()
    remembered: dict[str, set[str]] = {}
    """Slot id -> the extra inputs of the slotflow filling it (a slot input of the same
    name wins, as in oocana)."""
    for node in flow.nodes:
        if node.ignore:
            continue
        if isinstance(node, ValueNode):
            value_nodes[node.node_id] = node
        elif isinstance(node, SlotNode):
            provider = providers.get(node.node_id)
            runnable[node.node_id] = node if provider is None else fill_slot(node, provider)
            if provider is not None and provider.kind == "slotflow":
                slotflows.add(node.node_id)
                own = {h.handle for h in node.inputs_def}
                remembered[node.node_id] = {e.handle for e in provider.inputs_def
                                            if e.handle not in own}
        elif isinstance(node, (TaskNode, SubflowNode, ConditionNode)):
            runnable[node.node_id] = node

    graph_nodes: dict[str, GraphNode] = {}
    for node_id, node in runnable.items():
        kind: Literal["task", "subflow", "condition", "slot"] = (
            "task" if isinstance(node, TaskNode)
            else "subflow" if isinstance(node, SubflowNode)
            else "slot" if isinstance(node, SlotNode) else "condition")
        graph_nodes[node_id] = GraphNode(
            node_id=node_id, kind=kind, node=node, inputs={},
            outputs_def=effective_outputs_def(node),
            concurrency=max(1, node.concurrency or 1),
            timeout=node.timeout if isinstance(node, TaskNode) else None,
            progress_weight=node.progress_weight,
            slotflow=node_id in slotflows,
        )

    flow_inputs: dict[str, list[Target]] = {h: [] for h in flow.inputs_def}
    # A slotflow's extras arrive from the parent as generated flow inputs; the filled
    # slot's own ``inputs_from`` wires them (``fill_slot``), and it remembers them.
    for slot_id, extras in remembered.items():
        for handle in extras:
            flow_inputs.setdefault(runtime_handle(slot_id, handle), [])

    for node_id, node in runnable.items():
        gnode = graph_nodes[node_id]
        wiring: dict[str, InputFrom] = {}
        for item in node.inputs_from:
            wiring.setdefault(item.handle, item)
        for handle, definition in effective_inputs_def(node).items():
            item = wiring.get(handle)
            slot = InputSlot(handle=handle, definition=definition, connected=False,
                             remember=handle in remembered.get(node_id, ()))
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
        if isinstance(node, SubflowNode):
            _slotflow_extras(gnode, node, graph_nodes, value_nodes, flow_inputs)

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


def runtime_handle(slot_node_id: str, handle: str) -> str:
    """The generated input that carries a slotflow's extra input (oocana's name)."""
    return f"runtime::{slot_node_id}-{handle}"


def fill_slot(slot: SlotNode, provider: SlotProvider) -> TaskNode | SubflowNode | SlotNode:
    """The node that runs in ``slot``'s place: the provider with the slot's wiring. A
    slotflow takes the slot's inputs and the extras, which arrive as flow inputs."""
    common: dict[str, Any] = {
        "node_id": slot.node_id, "inputs_from": list(slot.inputs_from),
        "concurrency": slot.concurrency, "ignore": False,
        "progress_weight": slot.progress_weight, "description": slot.description,
        "location": slot.location}
    block = provider.block
    if isinstance(block, TaskBlock):
        return TaskNode(**common, block=block, ref=provider.ref, timeout=slot.timeout)
    if isinstance(block, Flow) and provider.kind == "subflow":
        return SubflowNode(**common, flow=block, ref=provider.ref)
    if isinstance(block, Flow):
        inputs = {h.handle: h for h in slot.inputs_def}
        extras = [h for h in provider.inputs_def if h.handle not in inputs]
        inputs.update({h.handle: h for h in extras})
        outputs = block.outputs_def or {h.handle: h for h in slot.outputs_def}
        slotflow = Flow(path=block.path, kind=block.kind, inputs_def=inputs,
                        outputs_def=dict(outputs), nodes=block.nodes,
                        outputs_from=block.outputs_from,
                        forward_previews=block.forward_previews,
                        description=block.description, package=block.package)
        for extra in extras:
            common["inputs_from"].append(InputFrom(
                handle=extra.handle,
                from_flow=[FromFlow(runtime_handle(slot.node_id, extra.handle))]))
        return SubflowNode(**common, flow=slotflow, ref=provider.ref)
    return slot


def _slotflow_extras(gnode: GraphNode, node: SubflowNode, graph_nodes: dict[str, GraphNode],
                     value_nodes: dict[str, ValueNode],
                     flow_inputs: dict[str, list[Target]]) -> None:
    """The parent's side of a slotflow's extra inputs: generated, remembered inputs of the
    subflow node (``runtime::<slot>-<handle>``) wired as its ``slots:`` item says."""
    for slot_id, provider in node.providers.items():
        if provider.kind != "slotflow":
            continue
        wiring = {item.handle: item for item in provider.inputs_from}
        for extra in provider.inputs_def:
            handle = runtime_handle(slot_id, extra.handle)
            slot = InputSlot(handle=handle, definition=extra, connected=False, remember=True,
                             static=extra.value)
            gnode.inputs[handle] = slot
            item = wiring.get(extra.handle)
            if item is None:
                continue
            if item.value is not MISSING:
                slot.static = item.value
            for src in item.from_node:
                if src.node_id in value_nodes:
                    slot.static = _value_of(value_nodes[src.node_id], src.output_handle,
                                            slot.static)
                    continue
                upstream = graph_nodes.get(src.node_id)
                if upstream is None:
                    continue
                upstream.targets.setdefault(src.output_handle, []).append(
                    NodeTarget(gnode.node_id, handle))
                gnode.upstream.add(src.node_id)
                slot.connected = True
            for flow_src in item.from_flow:
                if flow_src.input_handle in flow_inputs:
                    flow_inputs[flow_src.input_handle].append(NodeTarget(gnode.node_id, handle))
                    slot.connected = True


def _value_of(node: ValueNode, handle: str, fallback: Any) -> Any:
    for value in node.values:
        if value.handle == handle:
            return value.value if value.value is not MISSING else fallback
    return fallback
