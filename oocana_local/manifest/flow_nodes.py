"""A flow manifest, validated by its schema, built into a ``Flow`` node by node: task
nodes (a referenced block or an inline one), subflow nodes with their slot providers,
slot, service, condition and value nodes. References go through ``NodeRefs``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import build, slots
from .files import FileKind
from .node_refs import NodeRefs, RefSite
from .packages import Packages
from .problems import Problem
from .resolved import Block, Flow, Node, SubflowNode, TaskNode
from .validate import validate_flow, validate_task
from .yamlload import KeyPath, YamlDoc

if TYPE_CHECKING:
    from .raw import RawFlow, RawTaskNode

__all__ = ["build_flow"]


def build_flow(raw: RawFlow, doc: YamlDoc, kind: FileKind, refs: NodeRefs,
               packages: Packages, problems: list[Problem]) -> Flow:
    package, package_problems = packages.owner(doc.path.parent)
    problems += package_problems
    flow = Flow(
        path=doc.path,
        kind="flow" if kind == "flow" else "subflow",
        inputs_def=build.handle_map(raw.inputs_def, doc, ("inputs_def",), problems),
        outputs_def=build.handle_map(raw.outputs_def, doc, ("outputs_def",), problems),
        nodes=[],
        outputs_from=build.outputs_from(raw.outputs_from, doc),
        forward_previews=list(raw.forward_previews or ()),
        description=build.text_or_none(raw.description),
        package=package,
    )
    refs.state.stack.append(doc.path)
    try:
        for index, raw_node in enumerate(raw.nodes or ()):
            flow.nodes.append(_node(raw_node, ("nodes", index), flow, doc, refs, problems))
    finally:
        refs.state.stack.pop()
    if kind != "slotflow":  # a slotflow's inputs_def is replaced by its slot's at run time
        validate_flow(flow, problems)
    return flow


def _node(raw: Any, path: KeyPath, flow: Flow, doc: YamlDoc, refs: NodeRefs,
          problems: list[Problem]) -> Node:
    kind = raw.KIND
    if kind == "task":
        return _task_node(raw, path, flow, doc, refs, problems)
    if kind == "subflow":
        return _subflow_node(raw, path, flow, doc, refs, problems)
    if kind == "slot":
        return slots.slot_node(build.node_fields(raw, doc, path), raw.slot)
    if kind == "service":
        site = RefSite(flow, doc.location((*path, "service")), raw.node_id, raw.ignore, problems)
        block = refs.service(raw.service, site)
        fields = build.node_fields(raw, doc, path)
        fields["timeout"] = None  # as in oocana: a timeout applies to task nodes only
        return TaskNode(**fields, block=block, ref=raw.service)
    if kind == "conditions":
        return build.condition_node(raw, doc, path, problems)
    assert kind == "values"
    return build.value_node(raw, doc, path, problems)


def _subflow_node(raw: Any, path: KeyPath, flow: Flow, doc: YamlDoc, refs: NodeRefs,
                  problems: list[Problem]) -> SubflowNode:
    site = RefSite(flow, doc.location((*path, "subflow")), raw.node_id, raw.ignore, problems)
    node = SubflowNode(
        **build.node_fields(raw, doc, path),
        flow=refs.subflow(raw.subflow, site),
        ref=raw.subflow,
        slots=list(raw.slots or ()),
    )
    if node.slots:
        at = doc.location((*path, "slots"))
        slot_site = RefSite(flow, at, raw.node_id, raw.ignore, problems)

        def resolve(kind: str, ref: str) -> Block | None:
            if kind == "task":
                return refs.task(ref, slot_site)
            if kind == "subflow":
                return refs.subflow(ref, slot_site)
            return refs.slotflow(ref, slot_site)

        node.providers = slots.providers(raw.node_id, node.slots, at, resolve, problems)
    slots.check_providers(node, problems)
    return node


def _task_node(raw: RawTaskNode, path: KeyPath, flow: Flow, doc: YamlDoc, refs: NodeRefs,
               problems: list[Problem]) -> TaskNode:
    at = (*path, "task")
    if isinstance(raw.task, str):
        ref: str | None = raw.task
        block = refs.task(raw.task, RefSite(flow, doc.location(at), raw.node_id, raw.ignore,
                                            problems))
    else:
        ref = None
        block = build.task_block(raw.task, doc, at, problems, block_dir=flow.dir,
                                 manifest=None, package=flow.package)
        validate_task(block, problems, doc.location((*at, "executor", "options", "entry")))
    return TaskNode(
        **build.node_fields(raw, doc, path),
        block=block,
        ref=ref,
        inputs_def=build.handle_defs(raw.inputs_def, doc, (*path, "inputs_def"), problems,
                                     additional=True),
        outputs_def=build.handle_defs(raw.outputs_def, doc, (*path, "outputs_def"), problems,
                                      additional=True),
        inject=build.injection(raw.inject, doc, (*path, "inject")),
    )
