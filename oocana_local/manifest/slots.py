"""Slot nodes and the providers a subflow node puts in them (engine reference §1.6, §2.8).

A slot node is a placeholder inside a subflow: ``slot: {inputs_def, outputs_def}``. The
subflow node that uses the subflow fills it with ``slots: [{slot_node_id, task | subflow |
slotflow}]``. Providers are resolved here, once, by the loader (which passes its own
resolvers in); ``check_providers`` compares each provider with its slot's handles.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .problems import Problem
from .resolved import (
    MISSING,
    Flow,
    FromFlow,
    FromNode,
    HandleDef,
    InputFrom,
    Location,
    SlotNode,
    SlotProvider,
    SubflowNode,
    TaskBlock,
)

__all__ = ["handle_list", "slot_node", "providers", "check_providers", "runtime_handle"]

Resolve = Callable[[str, str], "TaskBlock | Flow | None"]
"""(kind, ref) -> the block, or None after appending a problem."""


def runtime_handle(slot_node_id: str, handle: str) -> str:
    """The generated flow input that carries a slotflow's extra input (oocana's name)."""
    return f"runtime::{slot_node_id}-{handle}"


def handle_list(items: Any) -> list[HandleDef]:
    """Handle definitions written as plain mappings (``slot:`` and ``slots:`` items)."""
    out = []
    for item in items or ():
        if isinstance(item, dict) and isinstance(item.get("handle"), str):
            out.append(HandleDef(
                handle=item["handle"], json_schema=item.get("json_schema"),
                nullable=item.get("nullable"), value=item.get("value", MISSING),
                description=item.get("description"), kind=item.get("kind"), raw=dict(item)))
    return out


def _inputs_from(items: Any, at: Location | None) -> list[InputFrom]:
    out = []
    for item in items or ():
        if not isinstance(item, dict) or not isinstance(item.get("handle"), str):
            continue
        out.append(InputFrom(
            handle=item["handle"], value=item.get("value", MISSING),
            from_node=[FromNode(f["node_id"], f["output_handle"], at)
                       for f in item.get("from_node") or () if isinstance(f, dict)
                       and "node_id" in f and "output_handle" in f],
            from_flow=[FromFlow(f["input_handle"], at) for f in item.get("from_flow") or ()
                       if isinstance(f, dict) and "input_handle" in f],
            location=at))
    return out


def slot_node(fields: dict[str, Any], slot: Any) -> SlotNode:
    slot = slot if isinstance(slot, dict) else {}
    return SlotNode(**fields, inputs_def=handle_list(slot.get("inputs_def")),
                    outputs_def=handle_list(slot.get("outputs_def")))


def providers(node_id: str, items: list[dict[str, Any]], at: Location | None,
              resolve: Resolve, problems: list[Problem]) -> dict[str, SlotProvider]:
    found: dict[str, SlotProvider] = {}
    for item in items:
        slot_id = item.get("slot_node_id") if isinstance(item, dict) else None
        kind = next((k for k in ("task", "subflow", "slotflow") if k in item), None) \
            if isinstance(item, dict) else None
        if not isinstance(slot_id, str) or kind is None:
            problems.append(Problem(
                "error", f"node {node_id!r}: a slots item needs slot_node_id and one of "
                "task, subflow or slotflow", at,
                "write `- {slot_node_id: <slot>, task: <block>}`"))
            continue
        ref = item[kind]
        block = None
        if not isinstance(ref, str):
            problems.append(Problem("error", f"node {node_id!r}: slot {slot_id!r}: {kind} "
                                    "must be a reference", at, "write the block's name"))
        elif kind == "slotflow" and not ref.startswith("self::"):
            problems.append(Problem(
                "error", f"node {node_id!r}: slot {slot_id!r}: slotflow {ref!r} must be "
                "written self::<name>", at,
                "slotflows live in the package's slotflows/<name>/slotflow.oo.yaml"))
        else:
            block = resolve(kind, ref)
        found[slot_id] = SlotProvider(
            slot_node_id=slot_id, kind=kind, ref=ref if isinstance(ref, str) else None,
            block=block, inputs_def=handle_list(item.get("inputs_def")),
            inputs_from=_inputs_from(item.get("inputs_from"), at), location=at)
    return found


def _provider_handles(provider: SlotProvider, slot: SlotNode) -> tuple[set[str], set[str]]:
    block = provider.block
    if provider.kind == "slotflow" and isinstance(block, Flow):
        # A slotflow takes its slot's inputs (and the extras); its outputs are its own.
        outputs = set(block.outputs_def) or {h.handle for h in slot.outputs_def}
        return {h.handle for h in slot.inputs_def} | {h.handle for h in provider.inputs_def}, \
            outputs
    assert block is not None
    return set(block.inputs_def), set(block.outputs_def)


def check_providers(node: SubflowNode, problems: list[Problem]) -> None:
    """Each slot of the subflow has a provider whose handles fit the slot's."""
    flow = node.flow
    if flow is None or node.ignore:
        return
    who = f"node {node.node_id!r}"
    slots = {n.node_id: n for n in flow.nodes if isinstance(n, SlotNode) and not n.ignore}
    for slot_id, provider in node.providers.items():
        if slot_id not in slots:
            problems.append(Problem(
                "warning", f"{who}: slots names {slot_id!r}, which is no slot node of "
                f"{flow.path.name}; the provider is unused", provider.location,
                f"slot nodes there: {', '.join(slots) or 'none'}"))
            continue
        if provider.block is None:
            continue
        slot = slots[slot_id]
        inputs, outputs = _provider_handles(provider, slot)
        what = f"{who}: the {provider.kind} {provider.ref!r} in slot {slot_id!r}"
        for handle in slot.outputs_def:
            if handle.handle not in outputs:
                problems.append(Problem(
                    "error", f"{what} has no output {handle.handle!r}, which the slot "
                    "declares", provider.location,
                    f"its outputs: {', '.join(sorted(outputs)) or 'none'}"))
        for handle in slot.inputs_def:
            if handle.handle not in inputs:
                problems.append(Problem(
                    "warning", f"{what} has no input {handle.handle!r}; the slot's value "
                    "is dropped", provider.location,
                    f"its inputs: {', '.join(sorted(inputs)) or 'none'}"))
        if isinstance(provider.block, TaskBlock):
            given = {h.handle for h in slot.inputs_def}
            for name, definition in provider.block.inputs_def.items():
                if name not in given and not definition.has_value():
                    problems.append(Problem(
                        "error", f"{what} needs input {name!r}, which the slot does not "
                        "give and which has no default value", provider.location,
                        "add the handle to the slot's inputs_def or a value to the block's"))
    for slot_id in slots:
        if slot_id not in node.providers:
            problems.append(Problem(
                "warning", f"{who}: slot {slot_id!r} of {flow.path.name} has no provider; "
                "the run fails there with \"Cannot run Slot Block directly\"",
                node.location, "add `slots: [{slot_node_id: " + slot_id + ", task: ...}]`"))
