"""How long reading manifests takes: cold (a fresh process) and warm (in process).

    python benchmarks/manifest_load.py [--nodes 1000] [--repeat 9] [--baseline DIR]

Rows, each the median of ``--repeat`` runs (fresh processes for the cold rows, run in
turn so that machine noise hits them alike):

* import the loader, and load a one-node flow, in a fresh process (``python -c``);
* the same for a flow that needs the full validator (a number where text goes), which
  imports pydantic and builds its models;
* load a ``--nodes``-node chain in process, warm (a new ``Loader`` each time);
* with ``--baseline DIR`` (another checkout), the cold rows again from there.

Fresh processes run as an installed package does, with its bytecode cached (in a
temporary ``PYTHONPYCACHEPREFIX``, after a warm-up), whatever ``PYTHONDONTWRITEBYTECODE``
says.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from cold_start import bytecode_env  # noqa: E402

BLOCK = ("executor: {name: python, options: {entry: main.py}}\n"
         "inputs_def: [{handle: x, json_schema: {type: number}}]\n"
         "outputs_def: [{handle: x, json_schema: {type: number}}]\n")


def write(root: Path, nodes: int) -> dict[str, Path]:
    block = root / "blocks" / "inc"
    block.mkdir(parents=True)
    (block / "block.oo.yaml").write_text(BLOCK)
    (block / "main.py").write_text("def main(inputs):\n    return {'x': inputs['x'] + 1}\n")
    flows = {}
    for name, node_id, count in (("one", "n0", 1), ("coerced", 3, 1), ("chain", "n0", nodes)):
        lines = ["nodes:", f"  - node_id: {node_id}\n    task: ../../blocks/inc\n"
                           "    inputs_from: [{handle: x, value: 0}]"]
        for i in range(1, count):
            lines.append(f"  - node_id: n{i}\n    task: ../../blocks/inc\n"
                         f"    inputs_from: [{{handle: x, from_node: [{{node_id: n{i - 1}, "
                         "output_handle: x}]}]")
        folder = root / "flows" / name
        folder.mkdir(parents=True)
        (folder / "flow.oo.yaml").write_text("\n".join(lines) + "\n")
        flows[name] = folder
    return flows


def cold(flow: Path, env: dict[str, str], cwd: Path = ROOT) -> float:
    code = ("import time; t = time.perf_counter()\n"
            "from oocana_local.manifest import load\n"
            f"load({str(flow)!r})\n"
            "print(time.perf_counter() - t)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=cwd, env=env, check=True)
    return float(done.stdout) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--baseline", type=Path, default=None, metavar="DIR",
                        help="another checkout whose cold rows to time too")
    args = parser.parse_args()
    from oocana_local.manifest import Loader  # noqa: I001 (after sys.path is set)

    with tempfile.TemporaryDirectory() as tmp:
        flows = write(Path(tmp), args.nodes)
        rows: dict[str, list[float]] = {
            "cold: import + load a one-node flow": [],
            "cold: import + load a one-node flow that needs pydantic": [],
            f"warm: load a {args.nodes}-node chain": [],
        }
        names = list(rows)
        env = bytecode_env(Path(tmp))
        base = args.baseline.resolve() if args.baseline else None
        if base is not None:
            rows[f"{names[0]}, in {base.name}"] = []
            rows[f"{names[1]}, in {base.name}"] = []
            cold(flows["coerced"], env, base)
        cold(flows["coerced"], env)  # warm-up: writes the bytecode
        for _ in range(args.repeat):
            rows[names[0]].append(cold(flows["one"], env))
            rows[names[1]].append(cold(flows["coerced"], env))
            if base is not None:
                rows[f"{names[0]}, in {base.name}"].append(cold(flows["one"], env, base))
                rows[f"{names[1]}, in {base.name}"].append(cold(flows["coerced"], env, base))
            started = time.perf_counter()
            Loader().load(flows["chain"])
            rows[names[2]].append((time.perf_counter() - started) * 1000)
    print(f"{args.repeat} runs each, medians (min-max) in ms\n")
    print("| what | median ms | min | max |")
    print("|---|---:|---:|---:|")
    for name, values in rows.items():
        print(f"| {name} | {statistics.median(values):.1f} | {min(values):.1f} "
              f"| {max(values):.1f} |")


if __name__ == "__main__":
    main()
