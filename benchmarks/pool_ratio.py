"""The speed goal of a trivial Python block: the first run of a freshly loaded flow
against a warm ``concurrent.futures.ProcessPoolExecutor``, in chains and fan-outs.

    python benchmarks/pool_ratio.py [--rounds 9] [--workloads chain:200,fanout:1000]
                                    [--baseline DIR]

Each round runs every workload once in each of: ``peers/bench_oocana.py --variant
engine`` (a fresh process: a warm-up flow starts the worker, then one freshly loaded
flow is timed, so compiling it and building its job specs count), the same script of
another checkout when ``--baseline DIR`` names one (e.g. ``git worktree add`` of an older
commit), and ``peers/bench_python.py --variant pool``. Interleaved, so that machine noise
hits every column alike; the table gives the medians in ms per block (a fan-out of N
counts its fan-in: N + 1 blocks) and each engine's ratio to the pool's median. The goal
is a ratio of 1.5 or less.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = "chain:200,chain:1000,fanout:100,fanout:1000"


def _ms(script: Path, variant: str, workload: str, size: int, pythonpath: Path | None
        ) -> float:
    env = dict(os.environ)
    if pythonpath is not None:  # that checkout's package, not the installed one
        env["PYTHONPATH"] = str(pythonpath)
    done = subprocess.run([sys.executable, str(script), "--variant", variant,
                           "--workload", workload, "--size", str(size)],
                          capture_output=True, text=True, env=env, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"{script} {workload} {size} failed:\n{done.stderr}")
    return float(json.loads(done.stdout.strip().splitlines()[-1])["ms"])


def _workloads(text: str) -> list[tuple[str, int]]:
    pairs = []
    for item in filter(None, text.split(",")):
        name, _, size = item.partition(":")
        if name not in ("chain", "fanout") or not size.isdigit() or int(size) < 1:
            raise SystemExit(f"--workloads: {item!r} is not chain:N or fanout:N")
        pairs.append((name, int(size)))
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--workloads", default=WORKLOADS,
                        help=f"comma-separated chain:N / fanout:N (default {WORKLOADS})")
    parser.add_argument("--baseline", type=Path,
                        help="another checkout of this repository, timed alongside")
    args = parser.parse_args()
    workloads = _workloads(args.workloads)
    engines: dict[str, tuple[Path, str, Path | None]] = {
        "oocana-local": (ROOT / "benchmarks/peers/bench_oocana.py", "engine", None)}
    if args.baseline is not None:
        base = args.baseline.resolve()
        engines["baseline"] = (base / "benchmarks/peers/bench_oocana.py", "engine", base)
    engines["pool"] = (ROOT / "benchmarks/peers/bench_python.py", "pool", None)
    times: dict[tuple[str, str, int], list[float]] = {}
    for round_ in range(args.rounds):
        for name, size in workloads:
            for engine, (script, variant, path) in engines.items():
                times.setdefault((engine, name, size), []).append(
                    _ms(script, variant, name, size, path))
        print(f"round {round_ + 1}/{args.rounds} done", file=sys.stderr, flush=True)
    header = "| workload | " + " | ".join(f"{e} ms/block" for e in engines) + " | " + \
        " | ".join(f"{e} / pool" for e in engines if e != "pool") + " |"
    print(f"{args.rounds} interleaved rounds, medians; a fresh flow's first run against "
          "a warm ProcessPoolExecutor\n")
    print(header)
    print("|---|" + "---:|" * (header.count("|") - 2))
    for name, size in workloads:
        blocks = size + 1 if name == "fanout" else size
        medians = {e: statistics.median(times[(e, name, size)]) for e in engines}
        cells = [f"{medians[e] / blocks:.3f}" for e in engines]
        cells += [f"{medians[e] / medians['pool']:.2f}" for e in engines if e != "pool"]
        print(f"| {name} {size} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
