"""Raw models -> resolved dataclasses, for the parts that need no block resolution.

Every function takes the ``YamlDoc`` and the key path of what it converts, so each
product carries the ``Location`` it was written at.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from .problems import Problem
from .resolved import (
    MISSING,
    ConditionCase,
    ConditionNode,
    FromFlow,
    FromNode,
    HandleDef,
    Injection,
    InputFrom,
    Location,
    OutputFrom,
    PackageInfo,
    TaskBlock,
    ValueNode,
)
from .yamlload import KeyPath, YamlDoc

if TYPE_CHECKING:  # the records of raw.py (validated by spec.py or pydantic)
    from .raw import (
        RawConditionNode,
        RawFromFlow,
        RawFromNode,
        RawGroupItem,
        RawHandleDef,
        RawInjection,
        RawInputFrom,
        RawOutputFrom,
        RawTaskBlock,
        RawValueNode,
    )

__all__ = [
    "condition_node",
    "handle_defs",
    "handle_map",
    "injection",
    "inputs_from",
    "outputs_from",
    "task_block",
    "text_or_none",
    "value_node",
]

PYTHON_DEFAULT_ENTRY = "index.py"


def handle_defs(
    items: list[RawHandleDef | RawGroupItem] | None,
    doc: YamlDoc,
    path: KeyPath,
    problems: list[Problem],
    *,
    additional: bool = False,
) -> list[HandleDef]:
    """A handle list without its ``group`` separators; warns about repeated handles."""
    out: list[HandleDef] = []
    seen: set[str] = set()
    for index, entry in enumerate(items or ()):
        if entry.KIND == "group":
            continue
        item = cast("RawHandleDef", entry)
        if item.handle in seen:
            problems.append(
                Problem(
                    "warning",
                    f"handle {item.handle!r} is defined twice in {path[-1]}; the last one wins",
                    doc.location((*path, index)),
                    "remove or rename one of them",
                )
            )
        seen.add(item.handle)
        if "value" in item.model_fields_set:
            value = item.value
        elif item.nullable:
            value = None  # `nullable: true` without a value means an explicit null
        else:
            value = MISSING
        out.append(
            HandleDef(
                handle=item.handle,
                json_schema=item.json_schema,
                nullable=item.nullable,
                value=value,
                description=text_or_none(item.description),
                kind=text_or_none(item.kind),
                is_additional=additional,
                raw=_written(doc, (*path, index)),
            )
        )
    return out


def handle_map(
    items: list[RawHandleDef | RawGroupItem] | None,
    doc: YamlDoc,
    path: KeyPath,
    problems: list[Problem],
) -> dict[str, HandleDef]:
    return {h.handle: h for h in handle_defs(items, doc, path, problems)}


def task_block(
    raw: RawTaskBlock,
    doc: YamlDoc,
    path: KeyPath,
    problems: list[Problem],
    *,
    block_dir: Path,
    manifest: Path | None,
    package: PackageInfo | None,
) -> TaskBlock:
    """A task block from a block file (``path == ()``) or an inline ``task:`` of a flow."""
    options = raw.executor.options
    name = raw.executor.name
    entry = options.entry if options else None
    source = options.source if options else None
    if name == "python" and entry is None and source is None:
        entry = PYTHON_DEFAULT_ENTRY
    return TaskBlock(
        executor=name,
        dir=block_dir,
        inputs_def=handle_map(raw.inputs_def, doc, (*path, "inputs_def"), problems),
        outputs_def=handle_map(raw.outputs_def, doc, (*path, "outputs_def"), problems),
        path=manifest,
        entry=entry,
        function=(options.function if options and options.function else "main"),
        source=source,
        spawn=bool(options and options.spawn),
        additional_inputs=raw.additional_inputs,
        additional_outputs=raw.additional_outputs,
        description=text_or_none(raw.description),
        package=package,
        location=doc.location(path) if path else Location(doc.path, 1),
        options=options.model_dump(exclude_unset=True) if options else {},
    )


def inputs_from(items: list[RawInputFrom] | None, doc: YamlDoc, path: KeyPath) -> list[InputFrom]:
    out = []
    for index, item in enumerate(items or ()):
        here = (*path, index)
        overrides = [
            o
            for o in item.schema_overrides or ()
            # the engine keeps only secret overrides; the rest is UI
            if isinstance(o.get("schema"), dict)
            and o["schema"].get("contentMediaType") == "oomol/secret"
        ]
        out.append(
            InputFrom(
                handle=item.handle,
                value=item.value if "value" in item.model_fields_set else MISSING,
                from_node=_from_nodes(item.from_node, doc, (*here, "from_node")),
                from_flow=_from_flows(item.from_flow, doc, (*here, "from_flow")),
                schema_overrides=overrides,
                serialize_for_cache=item.serialize_for_cache,
                location=doc.location(here),
            )
        )
    return out


def injection(raw: RawInjection | None, doc: YamlDoc, path: KeyPath) -> Injection | None:
    if raw is None:
        return None
    return Injection(node_id=raw.node_id, package=raw.package, script=raw.script,
                     location=doc.location(path))


def outputs_from(items: list[RawOutputFrom] | None, doc: YamlDoc) -> list[OutputFrom]:
    out = []
    for index, item in enumerate(items or ()):
        here = ("outputs_from", index)
        out.append(
            OutputFrom(
                handle=item.handle,
                from_node=_from_nodes(item.from_node, doc, (*here, "from_node")),
                from_flow=_from_flows(item.from_flow, doc, (*here, "from_flow")),
                location=doc.location(here),
            )
        )
    return out


def condition_node(
    raw: RawConditionNode, doc: YamlDoc, path: KeyPath, problems: list[Problem]
) -> ConditionNode:
    conditions = raw.conditions
    return ConditionNode(
        **node_fields(raw, doc, path),
        inputs_def=handle_defs(raw.inputs_def, doc, (*path, "inputs_def"), problems),
        cases=[
            ConditionCase(
                handle=case.handle,
                logical=case.logical,
                expressions=[
                    {"input_handle": e.input_handle, "operator": e.operator, "value": e.value}
                    for e in case.expressions or ()
                ],
            )
            for case in conditions.cases or ()
        ],
        default=conditions.default.handle if conditions.default else None,
    )


def value_node(
    raw: RawValueNode, doc: YamlDoc, path: KeyPath, problems: list[Problem]
) -> ValueNode:
    return ValueNode(
        node_id=raw.node_id,
        ignore=raw.ignore,
        description=text_or_none(raw.description),
        location=doc.location(path),
        values=handle_defs(raw.values, doc, (*path, "values"), problems),
    )


def node_fields(raw: Any, doc: YamlDoc, path: KeyPath) -> dict[str, Any]:
    """The fields every schedulable node has (``NodeBase``)."""
    return {
        "node_id": raw.node_id,
        "inputs_from": inputs_from(raw.inputs_from, doc, (*path, "inputs_from")),
        "concurrency": raw.concurrency,
        "timeout": raw.timeout,
        "ignore": raw.ignore,
        "progress_weight": raw.progress_weight,
        "description": text_or_none(raw.description),
        "location": doc.location(path),
    }


def _from_nodes(items: list[RawFromNode] | None, doc: YamlDoc, path: KeyPath) -> list[FromNode]:
    return [
        FromNode(i.node_id, i.output_handle, doc.location((*path, n)))
        for n, i in enumerate(items or ())
    ]


def _from_flows(items: list[RawFromFlow] | None, doc: YamlDoc, path: KeyPath) -> list[FromFlow]:
    return [FromFlow(i.input_handle, doc.location((*path, n))) for n, i in enumerate(items or ())]


def _written(doc: YamlDoc, path: KeyPath) -> dict[str, Any]:
    """The mapping at ``path`` as written in the file (unknown keys included)."""
    data = doc.data
    for step in path:
        data = data[step]
    return data


def text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)
