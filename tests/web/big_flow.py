"""A generated flow of many nodes, each fed by one or two earlier ones (a wide DAG)."""

from __future__ import annotations

import random
from pathlib import Path

BLOCK = ("executor: {name: python, options: {entry: main.py}}\n"
         "inputs_def:\n  - {handle: a, json_schema: {type: number}}\n"
         "  - {handle: b, json_schema: {type: number}, nullable: true}\n"
         "outputs_def: [{handle: out, json_schema: {type: number}}]\n")


def write_big_flow(root: Path, nodes: int, seed: int = 7) -> Path:
    """``root/flows/big/flow.oo.yaml`` with ``nodes`` nodes; returns the flow folder."""
    rng = random.Random(seed)
    (root / "blocks" / "step").mkdir(parents=True, exist_ok=True)
    (root / "blocks" / "step" / "block.oo.yaml").write_text(BLOCK)
    (root / "blocks" / "step" / "main.py").write_text(
        "def main(params, context):\n    return {'out': params['a'] + (params['b'] or 0)}\n")
    (root / "package.oo.yaml").write_text("name: big\nversion: 0.0.1\n")
    lines = ["nodes:"]
    for i in range(nodes):
        lines.append(f"  - node_id: n{i}\n    task: self::step\n    inputs_from:")
        if i < 4:
            lines.append("      - {handle: a, value: 1}\n      - {handle: b, value: null}")
            continue
        a = rng.randrange(max(0, i - 12), i)
        b = rng.randrange(max(0, i - 30), i)
        lines.append(f"      - handle: a\n        from_node: [{{node_id: n{a}, output_handle: out}}]")
        lines.append(f"      - handle: b\n        from_node: [{{node_id: n{b}, output_handle: out}}]")
    flow = root / "flows" / "big"
    flow.mkdir(parents=True, exist_ok=True)
    (flow / "flow.oo.yaml").write_text("\n".join(lines) + "\n")
    return flow
