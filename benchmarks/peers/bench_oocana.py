"""oocana-local: the workloads as generated flows, run by one warm ``oocana_local.Engine``.

Flows are written to a temporary folder. Every trivial block is the same ``inc`` block
(``{"x": x + 1}``).

The fan-in: in oocana, several ``from_node`` on ONE input handle push into one queue and
make the node run once per value, so that cannot sum. The faithful construction is one
``total`` block with ``additional_inputs: true`` whose node declares one input handle per
upstream (``x0`` ... ``x999`` in the node's ``inputs_def``), each fed by its own fan-out
node: the node runs once, when every handle has a value, and sums ``params.values()``.
This is how a Studio user wires N values into one block.

Variant ``cli`` writes the one-node flow used by ``run.py``'s cold-start workload.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import workloads  # noqa: E402

BLOCKS = {
    "inc": ("inputs_def: [{handle: x, json_schema: {type: number}}]\n"
            "outputs_def: [{handle: x, json_schema: {type: number}}]\n",
            "def main(inputs):\n    return {'x': inputs['x'] + 1}\n"),
    "total": ("inputs_def: []\nadditional_inputs: true\n"
              "outputs_def: [{handle: total, json_schema: {type: number}}]\n",
              "def main(inputs):\n    return {'total': sum(inputs.values())}\n"),
    "make": ("inputs_def: [{handle: rows, json_schema: {type: integer}}]\n"
             "outputs_def: [{handle: df}]\n",
             "import sys\nsys.path.insert(0, {bench!r})\nimport workloads\n\n"
             "def main(inputs):\n    return {'df': workloads.df_values(inputs['rows'])}\n"),
    "hop": ("inputs_def: [{handle: df}]\noutputs_def: [{handle: df}]\n",
            "def main(inputs):\n    return {'df': inputs['df']}\n"),
    "checksum": ("inputs_def: [{handle: df}]\noutputs_def: [{handle: sum}]\n",
                 "import sys\nsys.path.insert(0, {bench!r})\nimport workloads\n\n"
                 "def main(inputs):\n    return {'sum': workloads.df_checksum(inputs['df'])}\n"),
}


def write_blocks(root: Path) -> None:
    bench = str(Path(__file__).resolve().parent.parent)
    for name, (defs, code) in BLOCKS.items():
        folder = root / "blocks" / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "block.oo.yaml").write_text(
            "executor:\n  name: python\n  options: {entry: main.py}\n" + defs)
        (folder / "main.py").write_text(code.replace("{bench!r}", repr(bench)))


def _from(node: str, handle: str) -> str:
    return f"from_node: [{{node_id: {node}, output_handle: {handle}}}]"


def flow_text(workload: str, size: int) -> tuple[str, str]:
    """The flow's YAML and the flow output holding the answer."""
    lines = ["nodes:"]
    if workload == "chain":
        for i in range(size):
            source = "value: 0" if i == 0 else _from(f"n{i - 1}", "x")
            lines.append(f"  - node_id: n{i}\n    task: ../../blocks/inc\n"
                         f"    inputs_from: [{{handle: x, {source}}}]")
        out, node, handle = "x", f"n{size - 1}", "x"
    elif workload == "fanout":
        for i in range(size):
            lines.append(f"  - node_id: n{i}\n    task: ../../blocks/inc\n"
                         f"    inputs_from: [{{handle: x, value: {i}}}]")
        handles = ", ".join(f"{{handle: x{i}}}" for i in range(size))
        wires = "\n".join(f"      - {{handle: x{i}, {_from(f'n{i}', 'x')}}}"
                          for i in range(size))
        lines.append(f"  - node_id: total\n    task: ../../blocks/total\n"
                     f"    inputs_def: [{handles}]\n    inputs_from:\n{wires}")
        out, node, handle = "total", "total", "total"
    elif workload == "dataframe":
        lines.append(f"  - node_id: make\n    task: ../../blocks/make\n"
                     f"    inputs_from: [{{handle: rows, value: {size}}}]")
        lines.append(f"  - node_id: hop\n    task: ../../blocks/hop\n"
                     f"    inputs_from: [{{handle: df, {_from('make', 'df')}}}]")
        lines.append(f"  - node_id: checksum\n    task: ../../blocks/checksum\n"
                     f"    inputs_from: [{{handle: df, {_from('hop', 'df')}}}]")
        out, node, handle = "sum", "checksum", "sum"
    else:
        raise ValueError(workload)
    lines.append(f"outputs_def: [{{handle: {out}}}]\n"
                 f"outputs_from: [{{handle: {out}, {_from(node, handle)}}}]")
    return "\n".join(lines) + "\n", out


def write_flow(root: Path, name: str, workload: str, size: int) -> tuple[Path, str]:
    text, out = flow_text(workload, size)
    folder = root / "flows" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "flow.oo.yaml").write_text(text)
    return folder, out


def write_cold(root: Path) -> Path:
    """A one-node flow for ``oocana-local run``: the inc block on the value 1."""
    write_blocks(root)
    folder = root / "flows" / "one"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "flow.oo.yaml").write_text(
        "nodes:\n  - node_id: n0\n    task: ../../blocks/inc\n"
        "    inputs_from: [{handle: x, value: 1}]\n"
        f"outputs_def: [{{handle: x}}]\noutputs_from: [{{handle: x, {_from('n0', 'x')}}}]\n")
    return folder


def main() -> None:
    args = workloads.parse_args(["engine"])
    import oocana_local

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_blocks(root)
        small = 1000 if args.workload == "dataframe" else workloads.WARMUP_SIZE
        warm, _ = write_flow(root, "warm", args.workload, small)
        flow, out = write_flow(root, "bench", args.workload, args.size)
        with oocana_local.Engine() as engine:
            result = engine.run(warm)  # start the workers, import the blocks
            assert result.status == "completed", result.error
            loaded = engine.load(flow)
            ms, result = workloads.timed(lambda: engine.run(loaded))
            if result.status != "completed":
                raise SystemExit(f"failed: {result.error}")
            answer = result.outputs[out]
    workloads.report(ms, answer)


if __name__ == "__main__":
    main()
