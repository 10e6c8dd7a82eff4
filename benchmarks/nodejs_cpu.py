"""Node.js blocks in CPU time, which a busy machine disturbs less than wall time.

    python benchmarks/nodejs_cpu.py [--runs 5] [--root CHECKOUT]

* chain: the 200-node chains of ``nodejs.py`` (a trivial TypeScript block, a trivial
  Python block), run alternately in one engine: wall time, the engine's CPU
  (``time.process_time``) and the workers' CPU (``/proc/<pid>/stat``, Linux), per node;
* hop: the 1 MB JSON hop flow of ``nodejs.py`` (Python -> TypeScript -> Python): the
  engine's and the workers' CPU per run, and the two hops' wall time.

``--root`` measures the engine of another checkout (its ``benchmarks/nodejs.py`` builds
the blocks), so a before/after pair runs the same script.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def cpu_of(pids: list[int]) -> float:
    """User + system seconds of these processes (all their threads)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICK


def worker_pids(engine) -> list[int]:
    return [w.pid for ex in engine.executor.executors.values()
            for w in getattr(ex, "workers", [])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--root", default=str(Path(__file__).resolve().parent.parent))
    args = parser.parse_args()
    sys.path[:0] = [args.root, str(Path(args.root) / "benchmarks")]
    import nodejs as bench

    import oocana_local

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bench.block(root / "ts_add", "nodejs", "main.ts", bench.TS_ADD, ["n"], ["n"])
        bench.block(root / "py_add", "python", "main.py", bench.PY_ADD, ["n"], ["n"])
        flows = {"TS": bench.chain_flow(root, "ts_add", 200),
                 "Python": bench.chain_flow(root, "py_add", 200)}
        chain: dict[str, dict[str, list[float]]] = {
            k: {"wall": [], "engine CPU": [], "worker CPU": []} for k in flows}
        with oocana_local.Engine() as engine:
            for name, flow in flows.items():
                engine.run(flow, session_id=name)  # warm
            for _ in range(args.runs):
                for name, flow in flows.items():
                    pids = worker_pids(engine)
                    wall, own, workers = time.perf_counter(), time.process_time(), cpu_of(pids)
                    result = engine.run(flow, session_id=name)
                    assert result.outputs == {"n": 200}, result.error
                    chain[name]["wall"].append(time.perf_counter() - wall)
                    chain[name]["engine CPU"].append(time.process_time() - own)
                    chain[name]["worker CPU"].append(cpu_of(pids) - workers)
            bench.json_hops(engine, root, 1.0, 1)
            pids = worker_pids(engine)
            own, workers = time.process_time(), cpu_of(pids)
            hops = [engine.run(root / "hop", session_id="bench-hop").outputs
                    for _ in range(args.runs)]
            own, workers = time.process_time() - own, cpu_of(pids) - workers
    print(f"| measure (median of {args.runs}) | TS | Python |")
    print("| --- | --- | --- |")
    for measure in ("wall", "engine CPU", "worker CPU"):
        ts, py = (statistics.median(chain[k][measure]) / 200 * 1000 for k in flows)
        print(f"| chain, per node: {measure} | {ts:.3f} ms | {py:.3f} ms |")
    print(f"| hop flow, per run: engine CPU | {own / args.runs * 1000:.1f} ms | |")
    print(f"| hop flow, per run: workers CPU | {workers / args.runs * 1000:.1f} ms | |")
    for key, label in (("to_node", "Python -> Node"), ("to_python", "Node -> Python")):
        hop = statistics.median(h[key] for h in hops)
        print(f"| hop {label} (1 MB list), wall | {hop * 1000:.1f} ms | |")


if __name__ == "__main__":
    main()
