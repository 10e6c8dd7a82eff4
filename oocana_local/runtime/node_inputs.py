"""Per-node input value queues and the readiness count (oocana-engine.md §2.2).

Each connected input handle of a node has a FIFO queue. Instead of rescanning every
handle, a node keeps the number of its connected handles whose queue is empty: a value
arriving in an empty queue lowers it, taking the last value of a queue raises it, and
the node is fulfilled when it is zero.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from ..graph.model import GraphNode
from ..manifest.resolved import MISSING

__all__ = ["NodeInputs"]


class NodeInputs:
    __slots__ = ("node", "queues", "empty", "statics", "running", "runs", "started_once",
                 "never", "remember", "renewed", "kept")

    def __init__(self, node: GraphNode, nodes_inputs: dict[str, Any] | None = None):
        self.node = node
        self.queues: dict[str, deque[Any]] = {}
        self.statics: dict[str, Any] = {}
        for handle, slot in node.inputs.items():
            if slot.connected:
                self.queues[handle] = deque()
            else:
                value = slot.static
                if nodes_inputs and handle in nodes_inputs:
                    value = nodes_inputs[handle]
                if value is not MISSING:
                    self.statics[handle] = value
        # Empty connected queues; the node runs only when this is 0.
        self.empty = len(self.queues)
        # Unconnected handles without a value: the node can never run.
        self.never = [h for h in node.inputs if h not in self.queues and h not in self.statics]
        self.running = 0
        self.runs = 0
        self.started_once = False
        # Remembered handles keep their last value for the next runs (§2.8): they never
        # make a node run again by themselves, unless a new value arrives.
        self.remember = {h for h, slot in node.inputs.items() if slot.remember
                         and h in self.queues}
        self.renewed = False
        self.kept: list[Any] = []
        """Remembered values the last ``take`` left in their queue (held once more)."""

    def push(self, handle: str, value: Any) -> None:
        queue = self.queues[handle]
        if not queue:
            self.empty -= 1
        queue.append(value)
        if handle in self.remember:
            self.renewed = True

    @property
    def fulfilled(self) -> bool:
        if self.never or self.empty:
            return False
        # A node with no connected input runs exactly once.
        if self.remember:
            return (len(self.queues) > len(self.remember) or self.renewed
                    or not self.started_once)
        return bool(self.queues) or not self.started_once

    def take(self) -> dict[str, Any]:
        """Pop one value from each queue; add the static values."""
        values: dict[str, Any] = {}
        self.kept = []
        for handle in self.node.inputs:
            queue = self.queues.get(handle)
            if queue is None:
                values[handle] = self.statics[handle]
            elif handle in self.remember and len(queue) == 1:
                values[handle] = queue[0]
                self.kept.append(queue[0])
            else:
                values[handle] = queue.popleft()
                if not queue:
                    self.empty += 1
        self.started_once = True
        self.renewed = False
        return values

    def missing(self) -> list[str]:
        """Handles that kept this node from running, for the "not run" report."""
        return self.never + [h for h, q in self.queues.items() if not q]
