"""Engine overhead per node: a chain and a fan-out of trivial blocks on warm workers.

    python benchmarks/overhead.py [--nodes 200] [--repeat 7]

Each trivial block returns its input + 1. The flows are generated in a temporary folder;
one warm-up run starts the workers, then the runs alternate chain / fan-out so that
machine noise hits both alike. Prints a markdown table of milliseconds per node: the
median and the min-max over the runs, the engine process's own CPU time per node (less
sensitive to other work on the machine than the wall clock), and the ratio of the median
to the same shape of calls on a warm ``concurrent.futures.ProcessPoolExecutor``, each
engine run followed by its pool run (a chain of calls, each waiting for the previous;
one call, then the rest submitted at once and awaited).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workloads import NUMBER_BLOCK  # noqa: E402

import oocana_local  # noqa: E402

BLOCK = NUMBER_BLOCK


def inc(x: int) -> int:
    return x + 1


def pool_run(pool: concurrent.futures.ProcessPoolExecutor, name: str, nodes: int) -> float:
    """Seconds the plain pool takes for the workload's shape of calls."""
    start = time.perf_counter()
    x = pool.submit(inc, 0).result()
    if name == "chain":
        for _ in range(nodes - 1):
            x = pool.submit(inc, x).result()
    else:
        for future in [pool.submit(inc, x) for _ in range(nodes - 1)]:
            future.result()
    return time.perf_counter() - start


def write_workspace(root: Path, nodes: int) -> tuple[Path, Path]:
    block = root / "blocks" / "inc"
    block.mkdir(parents=True)
    (block / "block.oo.yaml").write_text(BLOCK)
    (block / "main.py").write_text("def main(inputs):\n    return {'x': inputs['x'] + 1}\n")
    chain = ["nodes:"]
    for i in range(nodes):
        chain.append(f"  - node_id: n{i}\n    task: ../../blocks/inc")
        if i == 0:
            chain.append("    inputs_from: [{handle: x, value: 0}]")
        else:
            chain.append(f"    inputs_from: [{{handle: x, from_node: [{{node_id: n{i - 1}, "
                         f"output_handle: x}}]}}]")
    chain.append(f"outputs_def: [{{handle: x}}]\noutputs_from: [{{handle: x, from_node: "
                 f"[{{node_id: n{nodes - 1}, output_handle: x}}]}}]")
    fan = ["nodes:", "  - node_id: src\n    task: ../../blocks/inc\n"
           "    inputs_from: [{handle: x, value: 0}]"]
    for i in range(nodes - 1):
        fan.append(f"  - node_id: n{i}\n    task: ../../blocks/inc\n"
                   f"    inputs_from: [{{handle: x, from_node: [{{node_id: src, "
                   f"output_handle: x}}]}}]")
    paths = []
    for name, lines in (("chain", chain), ("fanout", fan)):
        flow = root / "flows" / name
        flow.mkdir(parents=True)
        (flow / "flow.oo.yaml").write_text("\n".join(lines) + "\n")
        paths.append(flow)
    return paths[0], paths[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, oocana_local.Engine() as engine, \
            concurrent.futures.ProcessPoolExecutor() as pool:
        chain, fanout = write_workspace(Path(tmp), args.nodes)
        flows = {"chain": engine.load(chain), "fan-out": engine.load(fanout)}
        for name, flow in flows.items():  # warm-up: start workers, import the block
            assert engine.run(flow).status == "completed"
            pool_run(pool, name, args.nodes)
        times: dict[str, list[float]] = {name: [] for name in flows}
        plain: dict[str, list[float]] = {name: [] for name in flows}
        cpu: dict[str, list[float]] = {name: [] for name in flows}
        for _ in range(args.repeat):
            for name, flow in flows.items():
                start, start_cpu = time.perf_counter(), time.process_time()
                result = engine.run(flow)
                elapsed = time.perf_counter() - start
                cpu[name].append((time.process_time() - start_cpu) * 1000 / args.nodes)
                if result.status != "completed":
                    raise SystemExit(f"{name} failed: {result.error}")
                times[name].append(elapsed * 1000 / args.nodes)
                plain[name].append(pool_run(pool, name, args.nodes) * 1000 / args.nodes)
    print(f"{args.nodes} trivial nodes, warm workers, {args.repeat} runs each\n")
    print("| workload | ms/node median | min | max | engine CPU ms/node (median) "
          "| ProcessPoolExecutor ms/node | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, values in times.items():
        median, pool_median = statistics.median(values), statistics.median(plain[name])
        print(f"| {name} | {median:.3f} | {min(values):.3f} | {max(values):.3f} "
              f"| {statistics.median(cpu[name]):.3f} | {pool_median:.3f} "
              f"| {median / pool_median:.2f} |")


if __name__ == "__main__":
    main()
