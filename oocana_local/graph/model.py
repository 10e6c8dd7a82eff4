"""The run graph: one flow compiled for the scheduler.

Compilation (``compile.py``) turns a resolved ``Flow`` into these records once; the
scheduler then only follows precomputed edges. Value nodes disappear here: their values
become static values of the handles they feed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from ..manifest.resolved import MISSING, Flow, HandleDef, Node, TaskBlock

__all__ = ["NodeTarget", "FlowTarget", "Target", "InputSlot", "GraphNode", "RunGraph"]


@dataclass(frozen=True, slots=True)
class NodeTarget:
    """A value sent here lands in the queue of ``node_id``'s input ``handle``."""

    node_id: str
    handle: str


@dataclass(frozen=True, slots=True)
class FlowTarget:
    """A value sent here becomes the flow output ``handle``."""

    handle: str


Target = NodeTarget | FlowTarget


@dataclass(slots=True)
class InputSlot:
    """One input handle of a node, as compiled."""

    handle: str
    definition: HandleDef
    connected: bool
    """True when some upstream node or flow input feeds it (its static value is then unused)."""
    static: Any = MISSING
    """The value used when unconnected: a value node's value, else ``inputs_from[].value``."""
    serialize_for_cache: bool = False
    remember: bool = False
    """A slotflow's extra input (``runtime::<slot>-<handle>``): its last value is reused
    by every run of the node until a new one arrives."""


@dataclass(slots=True)
class GraphNode:
    node_id: str
    kind: Literal["task", "subflow", "condition", "slot"]
    """``slot``: a slot node no provider fills (its run fails)."""
    node: Node
    inputs: dict[str, InputSlot]
    outputs_def: dict[str, HandleDef]
    targets: dict[str, list[Target]] = field(default_factory=dict)
    """Output handle -> where its values go."""
    upstream: set[str] = field(default_factory=set)
    """Node ids that feed this node directly."""
    concurrency: int = 1
    timeout: float | None = None
    progress_weight: float = 1.0
    slotflow: bool = False
    """A subflow node that runs a slotflow in a slot's place (reported as ``Slotflow*``)."""
    inputs_plan: Any = field(default=None, repr=False, compare=False)
    """What every run's input queues start from (``runtime/node_inputs.py``), made once."""
    _definitions: dict[str, HandleDef] | None = field(default=None, repr=False, compare=False)

    @property
    def definitions(self) -> dict[str, HandleDef]:
        """Each input handle's definition (what its values are checked against)."""
        if self._definitions is None:
            self._definitions = {h: slot.definition for h, slot in self.inputs.items()}
        return self._definitions

    @property
    def block(self) -> TaskBlock | Flow | None:
        return getattr(self.node, "block", None) or getattr(self.node, "flow", None)

    @property
    def connected_handles(self) -> list[str]:
        return [h for h, slot in self.inputs.items() if slot.connected]

    @property
    def missing_statics(self) -> list[str]:
        """Unconnected handles without a value: the node can never run."""
        return [h for h, slot in self.inputs.items()
                if not slot.connected and slot.static is MISSING]


@dataclass
class RunGraph:
    flow: Flow
    nodes: dict[str, GraphNode]
    flow_inputs: dict[str, list[Target]]
    """Flow input handle -> where its value goes (node inputs, or flow outputs directly)."""
    sources: Any = None
    """What the graph was compiled from, kept alive while it is cached (``Session.graph``)."""

    def downstream_of(self, node_ids: set[str]) -> set[str]:
        """Every node reachable from ``node_ids`` (themselves included)."""
        return self._reach(node_ids, lambda node: (
            t.node_id for ts in node.targets.values() for t in ts if isinstance(t, NodeTarget)))

    def upstream_of(self, node_ids: set[str]) -> set[str]:
        """``node_ids`` and everything they need upstream."""
        return self._reach(node_ids, lambda node: node.upstream)

    def _reach(self, node_ids: set[str],
               step: Callable[[GraphNode], Iterable[str]]) -> set[str]:
        seen = set(node_ids)
        stack = list(node_ids)
        while stack:
            node = self.nodes.get(stack.pop())
            if node is None:
                continue
            for other in step(node):
                if other not in seen:
                    seen.add(other)
                    stack.append(other)
        return seen
