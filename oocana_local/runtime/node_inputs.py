"""Per-node input value queues and the readiness count (oocana-engine.md §2.2, §2.8).

Each connected input handle of a node has a FIFO queue. Instead of rescanning every
handle, a node keeps the number of its connected handles that have nothing to give: a
value arriving there lowers it, taking the last one raises it, and the node is fulfilled
when it is zero.

A *remembered* handle (a slotflow's extra input) also has a memory: the last value a run
took from its queue. A run takes the next queued value when there is one, else the
memory, so one value serves every run until a new one arrives, and a new one is used by
the very next run.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from ..graph.model import GraphNode
from ..manifest.resolved import MISSING

__all__ = ["NodeInputs"]


class NodeInputs:
    __slots__ = ("node", "queues", "empty", "statics", "running", "runs", "started_once",
                 "never", "remember", "memory", "kept", "forgotten")

    def __init__(self, node: GraphNode, nodes_inputs: dict[str, Any] | None = None):
        self.node = node
        plan = node.inputs_plan
        if plan is None:
            plan = node.inputs_plan = _Plan(node, None)
        if nodes_inputs and any(h in node.inputs for h in nodes_inputs):
            plan = _Plan(node, nodes_inputs)  # values given for this run: its own plan
        self.queues: dict[str, deque[Any]] = {h: deque() for h in plan.connected}
        self.statics = plan.statics
        # Connected handles with nothing to give (an empty queue and, for a remembered
        # handle, no memory either); the node runs only when this is 0.
        self.empty = len(self.queues)
        self.never = plan.never
        """Unconnected handles without a value: the node can never run."""
        self.running = 0
        self.runs = 0
        self.started_once = False
        self.remember = plan.remember
        self.memory: dict[str, Any] = {}
        self.kept: list[Any] = []
        """Values the last ``take`` leaves alive in the memory: each needs one more hold
        (the run releases what it took; the memory keeps it)."""
        self.forgotten: list[Any] = []
        """Memory values the last ``take`` replaced: their memory hold ends."""

    def push(self, handle: str, value: Any) -> None:
        queue = self.queues[handle]
        if not queue and handle not in self.memory:
            self.empty -= 1
        queue.append(value)

    @property
    def fulfilled(self) -> bool:
        if self.never or self.empty:
            return False
        if len(self.queues) > len(self.remember):
            return True  # every stream handle has a value waiting
        # Only remembered handles (or none): run once, then again only for a new value.
        return not self.started_once or any(self.queues[h] for h in self.remember)

    def take(self) -> dict[str, Any]:
        """One value for each handle: the next queued one, a remembered one, or the
        static value."""
        values: dict[str, Any] = {}
        self.kept = []
        self.forgotten = []
        for handle in self.node.inputs:
            queue = self.queues.get(handle)
            if queue is None:
                values[handle] = self.statics[handle]
            elif queue:
                value = values[handle] = queue.popleft()
                if handle in self.remember:
                    if handle in self.memory:
                        self.forgotten.append(self.memory[handle])
                    self.memory[handle] = value
                    self.kept.append(value)
                elif not queue:
                    self.empty += 1
            else:  # a remembered handle with an empty queue: its memory
                value = values[handle] = self.memory[handle]
                self.kept.append(value)
        self.started_once = True
        return values

    def missing(self) -> list[str]:
        """Handles that kept this node from running, for the "not run" report."""
        return self.never + [h for h, q in self.queues.items()
                             if not q and h not in self.memory]

    def unconsumed(self) -> dict[str, int]:
        """Values still waiting in the queues, by handle (remembered values are not
        waiting: they are memory)."""
        return {h: len(q) for h, q in self.queues.items() if q}


class _Plan:
    """What a node's inputs start as in every run: made once per compiled node (and
    again for a run that gives the node values of its own). Read only."""

    __slots__ = ("connected", "statics", "never", "remember")

    def __init__(self, node: GraphNode, nodes_inputs: dict[str, Any] | None):
        self.connected = [h for h, slot in node.inputs.items() if slot.connected]
        self.statics: dict[str, Any] = {}
        for handle, slot in node.inputs.items():
            if not slot.connected:
                value = slot.static
                if nodes_inputs and handle in nodes_inputs:
                    value = nodes_inputs[handle]
                if value is not MISSING:
                    self.statics[handle] = value
        self.never = [h for h, slot in node.inputs.items()
                      if not slot.connected and h not in self.statics]
        self.remember = frozenset(h for h, slot in node.inputs.items()
                                  if slot.remember and slot.connected)
