"""A 1000-node flow loads and validates, every node wired (how fast: benchmarks/
manifest_load.py; tests assert no durations)."""

from __future__ import annotations

from manifest_helpers import MAIN_PY, block_yaml

from oocana_local.manifest import Loader


def chain_flow(n: int) -> str:
    lines = ["inputs_def: [{handle: start}]", "outputs_def: [{handle: out}]", "nodes:"]
    for i in range(n):
        source = (
            "from_flow: [{input_handle: start}]"
            if i == 0
            else f"from_node: [{{node_id: 'add#{i - 1}', output_handle: sum}}]"
        )
        lines += [
            f"  - node_id: 'add#{i}'",
            f"    title: 'Add #{i}'",
            "    task: self::add",
            "    inputs_from:",
            f"      - {{handle: a, {source}}}",
            "      - {handle: b, value: 3}",
        ]
    lines += [
        "outputs_from:",
        f"  - {{handle: out, from_node: [{{node_id: 'add#{n - 1}', output_handle: sum}}]}}",
    ]
    return "\n".join(lines) + "\n"


def test_a_thousand_node_flow_loads_with_every_node_wired(tree):
    root = tree(
        {
            "pkg/package.oo.yaml": "name: pkg\n",
            "pkg/blocks/add/block.oo.yaml": block_yaml(("a", "b"), ("sum",)),
            "pkg/blocks/add/main.py": MAIN_PY,
            "pkg/flows/big/flow.oo.yaml": chain_flow(1000),
        }
    )
    loader = Loader()
    for _ in range(2):  # the second read reuses the parsed block
        flow, problems = loader.read(root / "pkg/flows/big")
    assert problems == []
    assert len(flow.nodes) == 1000
    assert flow.nodes[999].inputs_from[0].from_node[0].node_id == "add#998"
