"""The Ray executor next to the local worker pool and Prefect's ``RayTaskRunner``.

    python benchmarks/ray_overhead.py [--chain 200] [--fanout 100] [--rows 1000000]
                                      [--repeat 5] [--no-prefect]

One run, side by side, on one machine:

* per-block overhead (ms) of trivial blocks (``x + 1``): a chain of ``--chain`` nodes and
  a ``--fanout``-wide fan-out + fan-in (one ``total`` node with one input per upstream),
  on warm workers / warm actors, median and min-max over ``--repeat`` runs each;
* the Ray start-up: ``ray.init`` of a local runtime (as ``--executor ray`` without an
  address does), then the first run of a one-node flow (its actor started and placed);
* a ``--rows`` x 5 float64 DataFrame along a chain of 3 blocks: the time per hop (from
  the moment a block returns the frame to the moment the next block's ``main`` has it)
  on one local worker, across local workers (pickle 5 through shared memory, ``spawn``)
  and across Ray actors (Ray's object store; every node on an actor of its own);
* Prefect with ``RayTaskRunner`` (``prefect-ray`` in Prefect's peer venv, installed by
  ``bash benchmarks/setup_peers.sh prefect``) on the same chain / fan-out / DataFrame
  chain, one warm run each in a process of its own (each starts its own Ray runtime).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "peers"))

import workloads  # noqa: E402
from bench_oocana import write_blocks, write_flow  # noqa: E402
from dataframe_hop import hops  # noqa: E402
from dataframe_hop import write_flow as write_hop_flow  # noqa: E402

import oocana_local  # noqa: E402

PREFECT_PYTHON = HERE / ".peers" / "prefect" / "bin" / "python"


class Costs:
    """Wall ms per block, and the engine process's own CPU ms per block and bus events
    per block (what bounds one driver, whatever the cluster's size)."""

    def __init__(self, names: list[str]):
        self.wall: dict[str, list[float]] = {name: [] for name in names}
        self.cpu: dict[str, list[float]] = {name: [] for name in names}
        self.events: dict[str, float] = {}


def settle(engine: oocana_local.Engine, flow: Any) -> None:
    """Wait until the actors the warm-up asked for are up: a Ray actor takes seconds of
    CPU to start, and one starting during the runs measured slows them by that much.
    (The engine's loop runs only in ``run``: each run lets the actors started join.)"""
    python = engine.executor.python  # type: ignore[attr-defined]
    deadline = time.monotonic() + 120
    while getattr(python, "_spawning", None) and time.monotonic() < deadline:
        time.sleep(0.2)
        engine.run(flow)


def per_block(engine: oocana_local.Engine, flows: dict[str, tuple[Path, int]],
              repeat: int) -> Costs:
    loaded = {name: (engine.load(path), blocks) for name, (path, blocks) in flows.items()}
    for _ in range(2):  # warm-up: workers / actors started (and grown), block imported
        for flow, _ in loaded.values():
            result = engine.run(flow)
            assert result.status == "completed", result.error
    settle(engine, next(iter(loaded.values()))[0])
    costs = Costs(list(flows))
    for _ in range(repeat):
        for name, (flow, blocks) in loaded.items():
            start, cpu = time.perf_counter(), time.process_time()
            result = engine.run(flow)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
            if result.status != "completed":
                raise SystemExit(f"{name} failed: {result.error}")
            costs.wall[name].append(elapsed * 1000 / blocks)
            costs.cpu[name].append(cpu * 1000 / blocks)
            costs.events[name] = len(result.events) / blocks
    return costs


def prefect_ray(workload: str, size: int) -> dict[str, Any] | str:
    if not PREFECT_PYTHON.exists():
        return "not installed (bash benchmarks/setup_peers.sh prefect)"
    argv = [str(PREFECT_PYTHON), str(HERE / "peers" / "bench_prefect.py"), "--variant", "ray",
            "--workload", workload, "--size", str(size)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return f"failed: {(done.stderr.strip().splitlines() or ['?'])[-1][:120]}"
    report: dict[str, Any] = json.loads(lines[-1])
    if report["answer"] != workloads.expected(workload, size):
        return f"wrong answer {report['answer']!r}"
    return report


def _cell(values: list[float]) -> str:
    return (f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"
            if values else "-")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chain", type=int, default=200)
    parser.add_argument("--fanout", type=int, default=100)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-prefect", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_blocks(root)
        chain, _ = write_flow(root, "chain", "chain", args.chain)
        fanout, _ = write_flow(root, "fanout", "fanout", args.fanout)
        one, _ = write_flow(root, "one", "chain", 1)
        flows = {"chain": (chain, workloads.blocks_of("chain", args.chain)),
                 "fan-out + fan-in": (fanout, workloads.blocks_of("fanout", args.fanout))}
        same_flow = write_hop_flow(root, spawn=False)
        spawn_flow = write_hop_flow(root, spawn=True)

        with oocana_local.Engine(executor="local") as engine:
            local = per_block(engine, flows, args.repeat)
            local_same = hops(engine, same_flow, args.rows, args.repeat)
            local_across = hops(engine, spawn_flow, args.rows, args.repeat)

        with oocana_local.Engine(executor="ray") as engine:
            start = time.perf_counter()
            first = engine.run(one)
            first_run = time.perf_counter() - start
            assert first.status == "completed", first.error
            ray_init = engine.executor.python.startup_seconds  # type: ignore[attr-defined]
            remote = per_block(engine, flows, args.repeat)
            ray_across = hops(engine, spawn_flow, args.rows, args.repeat)
            ray_same = hops(engine, same_flow, args.rows, args.repeat)

    peers: dict[str, dict[str, Any] | str] = {}
    if not args.no_prefect:
        peers = {"chain": prefect_ray("chain", args.chain),
                 "fan-out + fan-in": prefect_ray("fanout", args.fanout),
                 "dataframe": prefect_ray("dataframe", args.rows)}

    print(f"Per-block overhead, ms per block: median (min-max) of {args.repeat} warm runs; "
          f"Prefect: one warm run\n")
    print("| workload | local pool | Ray executor | Prefect + RayTaskRunner |")
    print("|---|---:|---:|---:|")
    for name in flows:
        peer = peers.get(name)
        blocks = flows[name][1]
        cell = (f"{peer['ms'] / blocks:.2f}" if isinstance(peer, dict) else (peer or "skipped"))
        print(f"| {name} ({blocks} blocks) | {_cell(local.wall[name])} "
              f"| {_cell(remote.wall[name])} | {cell} |")

    print("\nThe engine process (the driver) per block: CPU ms, median, and bus events\n")
    print("| workload | local pool CPU ms | Ray executor CPU ms | events per block |")
    print("|---|---:|---:|---:|")
    for name in flows:
        print(f"| {name} | {statistics.median(local.cpu[name]):.2f} "
              f"| {statistics.median(remote.cpu[name]):.2f} | {remote.events[name]:.1f} |")

    print("\nRay start-up, seconds\n")
    print("| step | s |")
    print("|---|---:|")
    print(f"| ray.init of a local runtime (--executor ray, no address) | {ray_init:.2f} |")
    print(f"| first run of a 1-node flow, start-up included | {first_run:.2f} |")
    for peer in peers.values():
        if isinstance(peer, dict) and "startup_ms" in peer:
            print(f"| ray.init in Prefect's process (before RayTaskRunner) "
                  f"| {peer['startup_ms'] / 1000:.2f} |")
            break

    mb = args.rows * 5 * 8 / 1e6
    print(f"\n{args.rows:,} x 5 float64 DataFrame ({mb:.0f} MB) along 3 blocks: "
          f"ms per hop, median of {args.repeat} runs\n")
    print("| path | ms per hop |")
    print("|---|---:|")
    rows = [("local pool, same worker (identical object)", local_same),
            ("local pool, across workers (pickle 5 + shared memory)", local_across),
            ("Ray executor, same actor (identical object, no copy)", ray_same),
            ("Ray executor, across actors (object store)", ray_across)]
    for label, times in rows:
        print(f"| {label} | {statistics.median(times) * 1000:.1f} |")
    peer = peers.get("dataframe")
    if isinstance(peer, dict):
        print(f"| Prefect + RayTaskRunner: whole 3-block chain / 3 | {peer['ms'] / 3:.1f} |")
    elif peer:
        print(f"| Prefect + RayTaskRunner | {peer} |")


if __name__ == "__main__":
    main()
