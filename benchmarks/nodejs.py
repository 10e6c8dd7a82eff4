"""Node.js blocks: the cost of a warm Node worker, of its first job, and of JSON hops.

    python benchmarks/nodejs.py [--runs 5] [--chain 200] [--mb 1]

Printed as a markdown table of medians over ``runs`` runs:

* chain: a flow of ``chain`` nodes of one trivial TypeScript block (``n + 1``), each
  waiting for the one before, on a warm Node worker (the same session runs it again, so
  the worker and its module are already there): wall time per node; the same chain of a
  trivial Python block beside it;
* first job: a fresh ``Engine`` runs one TypeScript block: engine start, Node start,
  esbuild's first compile and the job, until ``run`` returns; and the Node worker's own
  spawn-to-ready time within it;
* JSON hop: a list of about ``mb`` MB of JSON made by a Python block, passed to a
  TypeScript block, passed back to Python. A hop is the time from the moment a block
  returns the list to the moment the next one starts with it in hand.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import oocana_local  # noqa: E402

TS_ADD = "export default (p: { n: number }) => ({ n: p.n + 1 });\n"
PY_ADD = "def main(params):\n    return {'n': params['n'] + 1}\n"

MAKE = """
import time

def main(params):
    items = [i * 1.5 for i in range(params["count"])]
    return {"items": items, "t": time.time()}
"""
NODE_PASS = """
export default (p: { items: number[]; t: number }) => {
  const hop = Date.now() / 1000 - p.t;
  if (p.items.length < 1) throw new Error("no items");
  return { items: p.items, t: Date.now() / 1000, hop };
};
"""
PY_END = """
import time

def main(params):
    hop = time.time() - params["t"]
    assert len(params["items"]) > 0
    return {"hop": hop}
"""


def block(folder: Path, executor: str, entry: str, code: str, inputs: list[str],
          outputs: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / entry).write_text(code)
    manifest = {"executor": {"name": executor, "options": {"entry": entry}},
                "inputs_def": [{"handle": h} for h in inputs],
                "outputs_def": [{"handle": h} for h in outputs]}
    (folder / "task.oo.yaml").write_text(yaml.safe_dump(manifest))
    return folder


def chain_flow(root: Path, name: str, length: int) -> Path:
    folder = root / f"chain_{name}"
    folder.mkdir()
    nodes = [{"node_id": "n0", "task": f"../{name}", "inputs_from": [{"handle": "n", "value": 0}]}]
    for i in range(1, length):
        nodes.append({"node_id": f"n{i}", "task": f"../{name}", "inputs_from": [
            {"handle": "n", "from_node": [{"node_id": f"n{i - 1}", "output_handle": "n"}]}]})
    flow = {"outputs_def": [{"handle": "n"}], "nodes": nodes,
            "outputs_from": [{"handle": "n", "from_node": [{"node_id": f"n{length - 1}",
                                                            "output_handle": "n"}]}]}
    (folder / "flow.oo.yaml").write_text(yaml.safe_dump(flow, sort_keys=False))
    return folder


def per_node_chain(engine: oocana_local.Engine, flow: Path, length: int, runs: int) -> float:
    session = f"bench-{flow.name}"
    engine.run(flow, session_id=session)  # warm: worker started, module loaded
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = engine.run(flow, session_id=session)
        times.append(time.perf_counter() - started)
        assert result.outputs == {"n": length}, result.error
    return statistics.median(times) / length


def first_job(root: Path, runs: int) -> tuple[float, float]:
    folder = block(root / "first_ts", "nodejs", "main.ts", TS_ADD, ["n"], ["n"])
    totals, readies = [], []
    for _ in range(runs):
        started = time.perf_counter()
        with oocana_local.Engine() as engine:
            result = engine.run(folder, inputs={"n": 1})
            totals.append(time.perf_counter() - started)
            node = engine.executor.executors["nodejs"]  # type: ignore[attr-defined]
            readies.append(max(w.startup_seconds for w in node.workers))
        assert result.outputs == {"n": 2}, result.error
    return statistics.median(totals), statistics.median(readies)


def json_hops(engine: oocana_local.Engine, root: Path, mb: float, runs: int
              ) -> tuple[float, float, int]:
    count = int(mb * 1_000_000 / 10.5)  # "123456.5, " is about 10 bytes of JSON
    folder = root / "hop"
    block(folder / "make", "python", "main.py", MAKE, ["count"], ["items", "t"])
    block(folder / "node_pass", "nodejs", "main.ts", NODE_PASS, ["items", "t"],
          ["items", "t", "hop"])
    block(folder / "py_end", "python", "main.py", PY_END, ["items", "t"], ["hop"])
    flow = {"outputs_def": [{"handle": "to_node"}, {"handle": "to_python"}], "nodes": [
        {"node_id": "make", "task": "./make", "inputs_from": [{"handle": "count", "value": count}]},
        {"node_id": "node", "task": "./node_pass", "inputs_from": [
            {"handle": "items", "from_node": [{"node_id": "make", "output_handle": "items"}]},
            {"handle": "t", "from_node": [{"node_id": "make", "output_handle": "t"}]}]},
        {"node_id": "end", "task": "./py_end", "inputs_from": [
            {"handle": "items", "from_node": [{"node_id": "node", "output_handle": "items"}]},
            {"handle": "t", "from_node": [{"node_id": "node", "output_handle": "t"}]}]}],
        "outputs_from": [
            {"handle": "to_node", "from_node": [{"node_id": "node", "output_handle": "hop"}]},
            {"handle": "to_python", "from_node": [{"node_id": "end", "output_handle": "hop"}]}]}
    (folder / "flow.oo.yaml").write_text(yaml.safe_dump(flow, sort_keys=False))
    size = len(str([i * 1.5 for i in range(count)]))
    engine.run(folder, session_id="bench-hop")  # warm both workers
    to_node, to_python = [], []
    for _ in range(runs):
        result = engine.run(folder, session_id="bench-hop")
        assert result.status == "completed", result.error
        to_node.append(result.outputs["to_node"])
        to_python.append(result.outputs["to_python"])
    return statistics.median(to_node), statistics.median(to_python), size


def bare_node(runs: int) -> float:
    """``node -e 0``: what the machine charges for any Node start (for scale)."""
    import subprocess

    from oocana_local.node_tools import node_binary

    node = node_binary()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([node, "-e", "0"], check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chain", type=int, default=200)
    parser.add_argument("--mb", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        block(root / "ts_add", "nodejs", "main.ts", TS_ADD, ["n"], ["n"])
        block(root / "py_add", "python", "main.py", PY_ADD, ["n"], ["n"])
        ts_flow = chain_flow(root, "ts_add", args.chain)
        py_flow = chain_flow(root, "py_add", args.chain)
        first_total, first_ready = first_job(root, args.runs)
        bare = bare_node(args.runs)
        with oocana_local.Engine() as engine:
            ts_node = per_node_chain(engine, ts_flow, args.chain, args.runs)
            py_node = per_node_chain(engine, py_flow, args.chain, args.runs)
            to_node, to_python, size = json_hops(engine, root, args.mb, args.runs)
    print(f"| measure (median of {args.runs}) | value | target |")
    print("| --- | --- | --- |")
    print(f"| trivial TS block per node, {args.chain}-node chain, warm Node worker "
          f"| {ts_node * 1000:.2f} ms | <= 2 ms |")
    print(f"| same chain, trivial Python block, for scale | {py_node * 1000:.2f} ms | |")
    print(f"| first TS job in a fresh engine (Engine() to result) | {first_total * 1000:.0f} ms "
          f"| <= 500 ms |")
    print(f"| of which: Node worker spawn to ready | {first_ready * 1000:.0f} ms | |")
    print(f"| bare `node -e 0`, for scale | {bare * 1000:.0f} ms | |")
    print(f"| JSON list hop Python -> Node ({size / 1e6:.1f} MB) | {to_node * 1000:.1f} ms | |")
    print(f"| JSON list hop Node -> Python ({size / 1e6:.1f} MB) | {to_python * 1000:.1f} ms | |")


if __name__ == "__main__":
    main()
