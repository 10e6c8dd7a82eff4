"""The graph layout of a 200-node flow stays readable: boxes of full size that never
overlap, every edge pointing right, and a page that draws them all."""

from __future__ import annotations

from big_flow import write_big_flow

from oocana_local import Engine
from oocana_local.serve.web.graph import NODE_H, NODE_W, flow_graph
from oocana_local.serve.web.pages import graph_html


def test_two_hundred_nodes_are_laid_out_left_to_right_without_overlap(tmp_path):
    folder = write_big_flow(tmp_path, 200)
    with Engine(search_paths=[str(tmp_path)]) as engine:
        flow = engine.load(folder)
    graph = flow_graph(flow)
    assert len(graph.nodes) == 200
    where = {n.id: n for n in graph.nodes}
    for a, b in graph.edges:
        assert where[a].x + NODE_W < where[b].x, (a, b)
    boxes = sorted((n.x, n.y) for n in graph.nodes)
    assert len(set(boxes)) == 200
    for node in graph.nodes:
        for other in graph.nodes:
            if node is not other and node.x == other.x:
                assert abs(node.y - other.y) >= NODE_H
    assert graph.width >= max(n.x for n in graph.nodes) + NODE_W
    page = graph_html(graph, with_state=True)
    assert page.count('class="node ') == 200
    assert page.count("<path d=") == len(graph.edges) + 1  # and the arrow head
