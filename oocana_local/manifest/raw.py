"""The fields of every manifest, as written in the YAML (engine reference §1): the one
declaration of each manifest's schema.

These records are for ``manifest/`` only: the loader validates with them (``spec.py``: a
fast path for plain manifests, pydantic models built from these same declarations for
everything else and for error reports) and turns them into the dataclasses of
``resolved.py``. Unknown keys (``title``, ``icon``, ``ui``, ...) are ignored, as the
engine does. Two things need care:

* ``value`` has three states (absent / null / a value): read ``"value" in m.model_fields_set``.
* Unions (node kinds, ``task: <ref> | <inline block>``, handle vs ``group`` items) are
  decided by looking at the keys (``Pick``).

Importing this module does not import pydantic. Annotations are evaluated as the classes
are made (no ``from __future__ import annotations``), so ``spec.py`` reads them as they are.
"""

from typing import Annotated, Any, ClassVar, Literal, get_args

from .spec import Before, Ge, Pick, Record

__all__ = [
    "NODE_KEYS",
    "OPERATORS",
    "RawCase",
    "RawCaseDefault",
    "RawConditionNode",
    "RawConditions",
    "RawExecutor",
    "RawExecutorOptions",
    "RawExpression",
    "RawFlow",
    "RawFromFlow",
    "RawFromNode",
    "RawGroupItem",
    "RawHandleDef",
    "RawInjection",
    "RawInputFrom",
    "RawNode",
    "RawOutputFrom",
    "RawPackage",
    "RawService",
    "RawServiceBlock",
    "RawServiceNode",
    "RawSlotNode",
    "RawSubflowNode",
    "RawTaskBlock",
    "RawTaskNode",
    "RawValueNode",
]

NODE_KEYS = ("task", "subflow", "slot", "service", "conditions", "values")
"""The key that decides a node's kind, in the order the engine tries them."""

Operator = Literal[
    "==", "!=", ">", "<", ">=", "<=",
    "is null", "is not null", "is true", "is false",
    "contains", "not contains", "is empty", "is not empty",
    "in", "not in", "has key", "not has key", "has value", "not has value",
    "starts with", "ends with",
]  # fmt: skip
OPERATORS: tuple[str, ...] = get_args(Operator)
"""Condition operators, exactly as the engine spells them."""


class _Raw(Record):
    """Numbers are accepted where text is expected (``version: 1.0``, ``node_id: 3``): the
    pydantic models are built with ``coerce_numbers_to_str``."""


def _flag(value: Any) -> Any:
    """``additional_inputs``: a bool, or any object (the handle schema) meaning true."""
    if value is None:
        return False
    return value if isinstance(value, bool) else True


Flag = Annotated[bool, Before(_flag)]


# --- handle definitions -------------------------------------------------------------


class RawHandleDef(_Raw):
    KIND: ClassVar[str] = "handle"
    handle: str
    description: Any = None
    json_schema: Any = None
    kind: Any = None
    nullable: bool | None = None
    value: Any = None
    """Only meaningful when ``"value" in model_fields_set``."""


class RawGroupItem(_Raw):
    """``- group: Advanced``: a UI section separator inside a handle list; dropped."""
    KIND: ClassVar[str] = "group"

    group: Any = None


def _handle_item_kind(value: Any) -> type[Record]:
    if isinstance(value, dict) and "handle" not in value and "group" in value:
        return RawGroupItem
    return RawHandleDef


HandleItem = Annotated[RawHandleDef | RawGroupItem, Pick(_handle_item_kind)]
HandleList = list[HandleItem] | None


# --- task blocks --------------------------------------------------------------------


class RawExecutorOptions(_Raw):
    EXTRA: ClassVar[bool] = True
    """Other executors keep their own options (rust ``bin``/``args``, connector ``action``)."""

    entry: str | None = None
    function: str | None = None
    spawn: bool = False
    source: str | None = None


class RawExecutor(_Raw):
    name: str
    options: RawExecutorOptions | None = None


class RawTaskBlock(_Raw):
    """``block.oo.yaml`` / ``task.oo.yaml``, or an inline ``task:`` of a node."""
    KIND: ClassVar[str] = "block"

    executor: RawExecutor
    description: Any = None
    inputs_def: HandleList = None
    outputs_def: HandleList = None
    additional_inputs: Flag = False
    additional_outputs: Flag = False


# --- node wiring --------------------------------------------------------------------


class RawFromNode(_Raw):
    node_id: str
    output_handle: str


class RawFromFlow(_Raw):
    input_handle: str


class RawInputFrom(_Raw):
    handle: str
    value: Any = None
    """Only meaningful when ``"value" in model_fields_set``."""
    from_node: list[RawFromNode] | None = None
    from_flow: list[RawFromFlow] | None = None
    schema_overrides: list[dict[str, Any]] | None = None
    serialize_for_cache: bool = False


class RawOutputFrom(_Raw):
    handle: str
    from_node: list[RawFromNode] | None = None
    from_flow: list[RawFromFlow] | None = None


# --- nodes --------------------------------------------------------------------------


class _RawNodeBase(_Raw):
    node_id: str
    description: Any = None
    inputs_from: list[RawInputFrom] | None = None
    timeout: Annotated[float, Ge(0)] | None = None
    concurrency: Annotated[int, Ge(1)] = 1
    progress_weight: Annotated[float, Ge(0)] = 1.0
    ignore: bool = False


class RawInjection(_Raw):
    """``inject:`` of a task node: run it in the process of ``node_id`` (a ``spawn: true``
    node of the same flow). ``package`` and ``script`` are OOMOL Studio layer features."""

    node_id: str | None = None
    package: str | None = None
    script: str | None = None


def _task_kind(value: Any) -> type:
    return RawTaskBlock if isinstance(value, dict) else str


class RawTaskNode(_RawNodeBase):
    KIND: ClassVar[str] = "task"
    task: Annotated[str | RawTaskBlock, Pick(_task_kind)]
    inject: RawInjection | None = None
    inputs_def: HandleList = None
    """Extra handles, used only if the block has ``additional_inputs``."""
    outputs_def: HandleList = None


class RawSubflowNode(_RawNodeBase):
    KIND: ClassVar[str] = "subflow"
    subflow: str
    slots: list[dict[str, Any]] | None = None


class RawSlotNode(_RawNodeBase):
    KIND: ClassVar[str] = "slot"
    slot: dict[str, Any] | None = None


class RawServiceNode(_RawNodeBase):
    KIND: ClassVar[str] = "service"
    service: str


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


class RawExpression(_Raw):
    input_handle: str
    operator: Operator
    value: Any = None


class RawCase(_Raw):
    handle: str
    logical: Annotated[Literal["AND", "OR"], Before(_upper)] = "OR"
    expressions: list[RawExpression] | None = None


class RawCaseDefault(_Raw):
    handle: str


class RawConditions(_Raw):
    cases: list[RawCase] | None = None
    default: RawCaseDefault | None = None


class RawConditionNode(_RawNodeBase):
    KIND: ClassVar[str] = "conditions"
    conditions: RawConditions
    inputs_def: HandleList = None


class RawValueNode(_Raw):
    KIND: ClassVar[str] = "values"
    node_id: str
    description: Any = None
    values: HandleList = None
    ignore: bool = False


def _node_kind(value: Any) -> type[Record] | None:
    if isinstance(value, dict):
        for key in NODE_KEYS:
            if key in value:
                return _NODE_CLASSES[key]
    return None


_NODE_CLASSES: dict[str, type[Record]] = {
    "task": RawTaskNode, "subflow": RawSubflowNode, "slot": RawSlotNode,
    "service": RawServiceNode, "conditions": RawConditionNode, "values": RawValueNode,
}
RawNode = Annotated[
    RawTaskNode | RawSubflowNode | RawSlotNode | RawServiceNode | RawConditionNode
    | RawValueNode,
    Pick(
        _node_kind,
        error_type="node_kind",
        error_message=(
            "a node must be a mapping with one of the keys task, subflow, slot, service, "
            "conditions or values"
        ),
    ),
]


# --- whole files --------------------------------------------------------------------


class RawFlow(_Raw):
    """``flow.oo.yaml`` / ``subflow.oo.yaml`` / ``slotflow.oo.yaml``."""
    KIND: ClassVar[str] = "flow"

    description: Any = None
    inputs_def: HandleList = None
    outputs_def: HandleList = None
    nodes: list[RawNode] | None = None
    outputs_from: list[RawOutputFrom] | None = None
    forward_previews: list[str] | None = None


class RawPackage(_Raw):
    """``package.oo.yaml``."""
    KIND: ClassVar[str] = "package"

    name: str | None = None
    version: str | None = None
    description: Any = None
    exports: dict[str, Any] | None = None
    scripts: dict[str, Any] | None = None
    dependencies: dict[str, str] | None = None


class RawServiceBlock(_Raw):
    name: str
    inputs_def: HandleList = None
    outputs_def: HandleList = None


class RawService(_Raw):
    """``service.oo.yaml`` (checked only: oocana-local does not run services)."""

    executor: dict[str, Any]
    blocks: list[RawServiceBlock] | None = None
