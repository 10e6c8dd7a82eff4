"""A flow as a drawable graph: nodes placed left to right along their connections.

The layout is a plain layered one, computed here once per page so the browser only
draws: a node's column is the longest path to it from the flow's inputs, and the nodes of
a column are ordered by the mean row of their upstream nodes (a few sweeps of the
barycenter heuristic), which keeps edges short and crossings few. Columns and rows have a
fixed size, so a 200-node flow is a scrollable grid of readable boxes, never a shrunken
picture. Subflow nodes carry their own inner graph, drawn when the user expands them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...manifest.resolved import (
    ConditionNode,
    Flow,
    SubflowNode,
    TaskBlock,
    TaskNode,
    ValueNode,
)

__all__ = ["GraphNode", "Graph", "flow_graph", "block_graph", "nodes_graph",
           "NODE_W", "NODE_H"]

NODE_W = 176
NODE_H = 72
COL_GAP = 56
ROW_GAP = 22
PAD = 16
_SWEEPS = 4


@dataclass
class GraphNode:
    id: str
    kind: str
    """``task``, ``subflow``, ``value``, ``condition``, ``input``, ``output`` or ``other``."""
    label: str
    block_path: str | None = None
    description: str | None = None
    x: int = 0
    y: int = 0
    inner: Graph | None = None


@dataclass
class Graph:
    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[tuple[str, str]] = field(default_factory=list)
    width: int = 0
    height: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"width": self.width, "height": self.height,
                "edges": [list(e) for e in self.edges],
                "nodes": [{"id": n.id, "kind": n.kind, "label": n.label, "x": n.x,
                           "y": n.y, "block_path": n.block_path,
                           "inner": n.inner.to_json() if n.inner else None}
                          for n in self.nodes]}


FLOW_IN = "flow inputs"
FLOW_OUT = "flow outputs"


def _node_of(node: Any, depth: int) -> GraphNode:
    if isinstance(node, ValueNode):
        return GraphNode(node.node_id, "value", "value",
                         description=", ".join(v.handle for v in node.values))
    if isinstance(node, ConditionNode):
        return GraphNode(node.node_id, "condition", "condition",
                         description=", ".join(c.handle for c in node.cases))
    if isinstance(node, SubflowNode):
        inner = flow_graph(node.flow, depth + 1) if node.flow is not None and depth < 4 \
            else None
        return GraphNode(node.node_id, "subflow", node.ref or "subflow",
                         block_path=str(node.flow.path) if node.flow else None, inner=inner)
    if isinstance(node, TaskNode):
        block = node.block
        path = _block_file(block) if block is not None else None
        return GraphNode(node.node_id, "task", node.ref or "inline script",
                         block_path=path, description=node.description)
    return GraphNode(node.node_id, "other", type(node).__name__)


def _block_file(block: TaskBlock) -> str | None:
    """The file a block author edits: the script when there is one, else the manifest."""
    if block.entry:
        script = Path(block.dir) / block.entry
        if script.is_file():
            return str(script)
    return str(block.path) if block.path else None


def flow_graph(flow: Flow, depth: int = 0) -> Graph:
    nodes = [_node_of(n, depth) for n in flow.nodes]
    ids = {n.id for n in nodes}
    edges: list[tuple[str, str]] = []
    feeds_from_flow = False
    for node in flow.nodes:
        for source in node.inputs_from:
            for from_node in source.from_node:
                if from_node.node_id in ids:
                    edges.append((from_node.node_id, node.node_id))
            if source.from_flow:
                feeds_from_flow = True
                edges.append((FLOW_IN, node.node_id))
    outputs = [(f.node_id, FLOW_OUT) for o in flow.outputs_from for f in o.from_node
               if f.node_id in ids]
    if feeds_from_flow and flow.inputs_def:
        nodes.insert(0, GraphNode(FLOW_IN, "input", ", ".join(flow.inputs_def)))
    else:
        edges = [e for e in edges if e[0] != FLOW_IN]
    if outputs:
        nodes.append(GraphNode(FLOW_OUT, "output", ", ".join(flow.outputs_def)))
        edges += outputs
    return layout(Graph(nodes, sorted(set(edges), key=edges.index)))


def block_graph(block: TaskBlock, name: str) -> Graph:
    """A block run alone is a flow of one node named after the block's folder (as
    ``runtime.run.block_as_flow`` names it); ``name`` is its label."""
    node_id = Path(block.dir).name or "block"
    return layout(Graph([GraphNode(node_id, "task", name, block_path=_block_file(block),
                                   description=block.description)]))


def nodes_graph(node_ids: list[str]) -> Graph:
    """Nodes known only by id (a recorded run whose manifest is gone): one column."""
    return layout(Graph([GraphNode(i, "task", "") for i in node_ids]))


def layout(graph: Graph) -> Graph:
    """Place ``graph``'s nodes in columns by longest path, rows by barycenter."""
    index = {n.id: n for n in graph.nodes}
    upstream: dict[str, list[str]] = {n.id: [] for n in graph.nodes}
    downstream: dict[str, list[str]] = {n.id: [] for n in graph.nodes}
    for a, b in graph.edges:
        if a in index and b in index and a != b:
            upstream[b].append(a)
            downstream[a].append(b)
    column = _columns(list(index), upstream, downstream)
    columns: list[list[str]] = [[] for _ in range(max(column.values(), default=0) + 1)]
    for node in graph.nodes:  # manifest order as the first guess
        columns[column[node.id]].append(node.id)
    row = {node: i for col in columns for i, node in enumerate(col)}
    for sweep in range(_SWEEPS):
        neighbours = upstream if sweep % 2 == 0 else downstream
        order = columns if sweep % 2 == 0 else columns[::-1]
        for col in order:
            col.sort(key=lambda n: _mean([row[m] for m in neighbours[n]], row[n]))
            for i, node_id in enumerate(col):
                row[node_id] = i
    tallest = max((len(c) for c in columns), default=0)
    for c, col in enumerate(columns):
        offset = (tallest - len(col)) * (NODE_H + ROW_GAP) // 2  # centre short columns
        for r, node_id in enumerate(col):
            index[node_id].x = PAD + c * (NODE_W + COL_GAP)
            index[node_id].y = PAD + offset + r * (NODE_H + ROW_GAP)
    graph.width = PAD * 2 + len(columns) * (NODE_W + COL_GAP) - COL_GAP
    graph.height = PAD * 2 + tallest * (NODE_H + ROW_GAP) - ROW_GAP
    return graph


def _columns(ids: list[str], upstream: dict[str, list[str]],
             downstream: dict[str, list[str]]) -> dict[str, int]:
    """Longest path from a source (Kahn's order; nodes on a cycle go after the rest)."""
    pending = {n: len(set(upstream[n])) for n in ids}
    column = dict.fromkeys(ids, 0)
    ready = [n for n in ids if pending[n] == 0]
    seen: set[str] = set()
    while ready or len(seen) < len(ids):
        if not ready:  # a cycle: break it at the first node left
            ready.append(next(n for n in ids if n not in seen))
        node = ready.pop(0)
        if node in seen:
            continue
        seen.add(node)
        for child in set(downstream[node]):
            if child in seen:
                continue
            column[child] = max(column[child], column[node] + 1)
            pending[child] -= 1
            if pending[child] == 0:
                ready.append(child)
    return column


def _mean(values: list[int], default: int) -> float:
    return sum(values) / len(values) if values else float(default)
