"""The handles a node really has: one rule, used by ``check`` (``validate.py``) and by
graph compilation, so that ``check`` validates against the definitions a run uses.

A task node has its block's handles; when the block allows ``additional_inputs`` /
``additional_outputs``, the node's own ``inputs_def`` / ``outputs_def`` add handles,
marked ``is_additional``. A handle declared on both keeps the block's definition, as in
oocana (``manifest_meta`` inserts a node's extra only where the block has no such handle).
"""

from __future__ import annotations

from .resolved import (
    ConditionNode,
    HandleDef,
    Node,
    SlotNode,
    SubflowNode,
    TaskNode,
    ValueNode,
)

__all__ = ["effective_inputs", "effective_outputs", "shadowed_extras"]


def effective_inputs(node: Node) -> dict[str, HandleDef] | None:
    """The node's input handles; None when unknown (unresolved block, unsupported node)."""
    if isinstance(node, TaskNode):
        if node.block is None:
            return None
        return _with_extras(node.block.inputs_def, node.inputs_def,
                            node.block.additional_inputs)
    if isinstance(node, SubflowNode):
        return dict(node.flow.inputs_def) if node.flow is not None else None
    if isinstance(node, (ConditionNode, SlotNode)):
        return {h.handle: h for h in node.inputs_def}
    if isinstance(node, ValueNode):
        return {}
    return None


def effective_outputs(node: Node) -> dict[str, HandleDef] | None:
    """The node's output handles; None when unknown."""
    if isinstance(node, TaskNode):
        if node.block is None:
            return None
        return _with_extras(node.block.outputs_def, node.outputs_def,
                            node.block.additional_outputs)
    if isinstance(node, SubflowNode):
        return dict(node.flow.outputs_def) if node.flow is not None else None
    if isinstance(node, ConditionNode):
        handles = [case.handle for case in node.cases]
        if node.default:
            handles.append(node.default)
        return {h: HandleDef(handle=h) for h in handles}
    if isinstance(node, SlotNode):
        return {h.handle: h for h in node.outputs_def}
    if isinstance(node, ValueNode):
        return {v.handle: v for v in node.values}
    return None


def shadowed_extras(node: TaskNode, side: str) -> list[HandleDef]:
    """Node-level extras (``side``: ``"inputs"`` / ``"outputs"``) that the block already
    declares: the block's definition is used, the node's is not."""
    block = node.block
    if block is None or not getattr(block, f"additional_{side}"):
        return []
    declared = getattr(block, f"{side}_def")
    return [h for h in getattr(node, f"{side}_def") if h.handle in declared]


def _with_extras(declared: dict[str, HandleDef], extras: list[HandleDef],
                 allowed: bool) -> dict[str, HandleDef]:
    defs = dict(declared)
    if allowed:
        for extra in extras:
            if extra.handle not in defs:
                defs[extra.handle] = extra.as_additional()
    return defs
