"""Resolved manifests: what the loader hands to ``graph/``.

The raw pydantic models (``raw.py``) mirror the YAML; these records are the product of
reading *and* resolving it: every block reference is replaced by the block it names,
paths are absolute, handle lists are ordered dicts keyed by handle name. They are plain
frozen-ish dataclasses so that graph compilation and the scheduler never touch pydantic;
lazy ones (``_dataclass.py``): a class no manifest uses costs no start-up time.
"""

from __future__ import annotations

from dataclasses import field
from pathlib import Path
from typing import Any, Literal

from .._dataclass import lazy_dataclass as dataclass
from ..wire.job import ServiceSpec, names_secret


class _Missing:
    """The value of a handle whose ``value`` key is absent (distinct from an explicit null)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""Sentinel for "no value given" (YAML key absent), as opposed to ``None`` (explicit null)."""


@dataclass(frozen=True)
class Location:
    """Where something was written: a manifest file and a 1-based line (0 = unknown), and
    for code checked by a compiler, a 1-based column (0 = none)."""

    file: Path
    line: int = 0
    column: int = field(default=0, repr=False)  # shown by str(); repr stays as it was

    def __str__(self) -> str:
        if not self.line:
            return str(self.file)
        return f"{self.file}:{self.line}:{self.column}" if self.column else \
            f"{self.file}:{self.line}"


@dataclass
class HandleDef:
    """One item of ``inputs_def`` / ``outputs_def`` (``values`` of a value node too)."""

    handle: str
    json_schema: Any = None
    nullable: bool | None = None
    value: Any = MISSING
    description: str | None = None
    kind: str | None = None
    is_additional: bool = False
    raw: dict[str, Any] = field(default_factory=dict)
    """The item as written (unknown keys kept), sent to blocks as their ``inputs_def`` entry."""
    _wire: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)
    _secret: bool | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def content_media_type(self) -> str | None:
        schema = self.json_schema
        if isinstance(schema, dict):
            return schema.get("contentMediaType")
        return None

    def has_value(self) -> bool:
        return self.value is not MISSING

    def names_secret(self) -> bool:
        """Whether its schema names a secret or a credential (found once: every node of
        a block shares its definitions)."""
        if self._secret is None:
            self._secret = names_secret(self.json_schema)
        return self._secret

    def as_additional(self) -> HandleDef:
        """A copy marked ``is_additional`` (a node's own extra handle). Copied field by
        field: ``dataclasses.replace`` costs a fan-in of 1,000 handles milliseconds."""
        extra = object.__new__(HandleDef)
        extra.__dict__.update(self.__dict__)
        extra.is_additional = True
        extra._wire = None
        return extra

    def wire(self) -> dict[str, Any]:
        """The definition as blocks see it (``context.inputs_def[h]``, ``outputs_def``,
        ``query_block``, ``query_downstream``): see ``wire_handle``. Made once (every
        node of a block shares its definitions); each caller gets a copy of its own."""
        if self._wire is None:
            self._wire = self._written()
        return dict(self._wire)

    def _written(self) -> dict[str, Any]:
        written = dict(self.raw) if self.raw else {}
        written.update(handle=self.handle, json_schema=self.json_schema, kind=self.kind,
                       nullable=self.nullable, description=self.description)
        written.pop("value", None)
        if self.has_value():
            written["value"] = self.value
        return wire_handle(written, is_additional=self.is_additional)


_HANDLE_DEFAULTS: dict[str, Any] = {
    "description": None, "json_schema": None, "kind": None, "nullable": False,
    "is_additional": False,
}


def wire_handle(definition: dict[str, Any], *, is_additional: bool = False) -> dict[str, Any]:
    """A handle definition with every field oocana's SDK reads, defaults filled in:
    ``description``, ``json_schema`` and ``kind`` (None), ``nullable`` (False) and
    ``is_additional``. ``value`` stays absent when none was given (absent and null differ).
    Unknown keys are kept."""
    wire = {**_HANDLE_DEFAULTS, **definition}
    if wire["nullable"] is None:
        wire["nullable"] = False
    if is_additional:
        wire["is_additional"] = True
    return wire


@dataclass
class PackageInfo:
    """A package folder with a ``package.oo.yaml`` (or the workspace a flow lives in)."""

    name: str
    dir: Path
    version: str | None = None
    dependencies: dict[str, str] = field(default_factory=dict)


@dataclass
class TaskBlock:
    """A task block (``block.oo.yaml`` / ``task.oo.yaml`` or an inline ``task:``)."""

    executor: str
    """``python`` is run by workers; ``shell`` / ``nodejs`` / ... are reported as unsupported."""
    dir: Path
    """Where ``entry`` is relative to: the manifest's folder, or the flow's folder when inline."""
    inputs_def: dict[str, HandleDef]
    outputs_def: dict[str, HandleDef]
    path: Path | None = None
    """The manifest file; None for an inline block."""
    entry: str | None = None
    function: str = "main"
    source: str | None = None
    spawn: bool = False
    additional_inputs: bool = False
    additional_outputs: bool = False
    description: str | None = None
    package: PackageInfo | None = None
    location: Location | None = None
    options: dict[str, Any] = field(default_factory=dict)
    """``executor.options`` as written."""
    service: ServiceSpec | None = None
    """For a block of a service (``manifest/services.py``): where the service is, its
    entry, function, lifetime and this block's name; None for every other block."""

    @property
    def kind(self) -> Literal["task"]:
        return "task"


@dataclass
class FromNode:
    node_id: str
    output_handle: str
    location: Location | None = None


@dataclass
class FromFlow:
    input_handle: str
    location: Location | None = None


@dataclass
class InputFrom:
    """One ``inputs_from`` item of a node."""

    handle: str
    value: Any = MISSING
    from_node: list[FromNode] = field(default_factory=list)
    from_flow: list[FromFlow] = field(default_factory=list)
    schema_overrides: list[dict[str, Any]] = field(default_factory=list)
    serialize_for_cache: bool = False
    location: Location | None = None


@dataclass
class NodeBase:
    node_id: str
    inputs_from: list[InputFrom] = field(default_factory=list)
    concurrency: int = 1
    timeout: float | None = None
    ignore: bool = False
    progress_weight: float = 1.0
    description: str | None = None
    location: Location | None = None


@dataclass
class Injection:
    """A task node's ``inject:``: run it in the process of another node of its flow."""

    node_id: str | None = None
    """The ``spawn: true`` node whose process runs this node (the one target supported)."""
    package: str | None = None
    """OOMOL Studio's layer feature (run in a package's process): not supported here."""
    script: str | None = None
    location: Location | None = None


@dataclass
class TaskNode(NodeBase):
    block: TaskBlock | None = None
    """Resolved block (None only while an unresolvable node is being reported by ``check``)."""
    ref: str | None = None
    """The reference as written (``self::x``, ``pkg::x``, a path); None for inline tasks."""
    inputs_def: list[HandleDef] = field(default_factory=list)
    """Node-level extra handles (only used when the block allows additional inputs)."""
    outputs_def: list[HandleDef] = field(default_factory=list)
    inject: Injection | None = None
    """``inject: {node_id: X}``: run in the process of the ``spawn: true`` node X."""


@dataclass
class SlotProvider:
    """What a subflow node puts in one slot of its subflow (``slots:`` item)."""

    slot_node_id: str
    kind: Literal["task", "subflow", "slotflow"]
    ref: str | None = None
    block: TaskBlock | Flow | None = None
    """The task block, subflow or slotflow; None when it cannot be resolved."""
    inputs_def: list[HandleDef] = field(default_factory=list)
    """A slotflow's extra inputs, given by the parent (``runtime::<slot>-<handle>``)."""
    inputs_from: list[InputFrom] = field(default_factory=list)
    location: Location | None = None


@dataclass
class SubflowNode(NodeBase):
    flow: Flow | None = None
    ref: str | None = None
    slots: list[dict[str, Any]] = field(default_factory=list)
    providers: dict[str, SlotProvider] = field(default_factory=dict)
    """Resolved ``slots``, by slot node id."""


@dataclass
class SlotNode(NodeBase):
    """A placeholder inside a subflow: the parent's provider runs in its place."""

    inputs_def: list[HandleDef] = field(default_factory=list)
    outputs_def: list[HandleDef] = field(default_factory=list)


@dataclass
class ConditionCase:
    handle: str
    logical: Literal["AND", "OR"] = "OR"
    expressions: list[dict[str, Any]] = field(default_factory=list)
    """Each ``{"input_handle", "operator", "value"}``."""


@dataclass
class ConditionNode(NodeBase):
    inputs_def: list[HandleDef] = field(default_factory=list)
    cases: list[ConditionCase] = field(default_factory=list)
    default: str | None = None


@dataclass
class ValueNode(NodeBase):
    values: list[HandleDef] = field(default_factory=list)


@dataclass
class UnsupportedNode(NodeBase):
    """A node kind that cannot be run: parsed so ``check`` and the graph can name it."""

    kind_name: str = "slot"


Node = TaskNode | SubflowNode | SlotNode | ConditionNode | ValueNode | UnsupportedNode


@dataclass
class OutputFrom:
    handle: str
    from_node: list[FromNode] = field(default_factory=list)
    from_flow: list[FromFlow] = field(default_factory=list)
    location: Location | None = None


@dataclass
class Flow:
    """A ``flow.oo.yaml`` or ``subflow.oo.yaml`` (``kind`` tells which)."""

    path: Path
    kind: Literal["flow", "subflow"]
    inputs_def: dict[str, HandleDef]
    outputs_def: dict[str, HandleDef]
    nodes: list[Node]
    outputs_from: list[OutputFrom] = field(default_factory=list)
    forward_previews: list[str] = field(default_factory=list)
    description: str | None = None
    package: PackageInfo | None = None

    @property
    def dir(self) -> Path:
        return self.path.parent


Block = TaskBlock | Flow
