"""What ``import oocana`` costs a worker, on top of what the worker has loaded already.

    python benchmarks/oocana_import.py [--repeat 25] [--baseline DIR]

Each row is one import statement run in a fresh interpreter that has first imported the
worker's own modules, as a block's module does on its first job. Prints the median wall
and CPU milliseconds of the statement (CPU time is disturbed less by a busy machine).
With ``--baseline DIR`` (another checkout of this repository) each row runs there too,
interleaved, for a before/after table. Profile one with ``python -X importtime``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

STATEMENTS = [
    "from oocana import Context",
    "from oocana import Context, ToNode, CredentialInput",
    "from oocana import ServiceContextAbstractClass",
    "from oocana import HandleDef, FieldSchema, dumps",
    "from oocana import *",
]

PROBE = """
import sys, time
sys.path.insert(0, {shim!r})
import oocana_local.worker.serve, oocana_local.worker.job, oocana_local.context.call
wall, cpu = time.perf_counter(), time.process_time()
{statement}
print(time.perf_counter() - wall, time.process_time() - cpu)
"""


def once(root: Path, statement: str) -> tuple[float, float] | None:
    code = PROBE.format(shim=str(root / "oocana_local" / "_shim"), statement=statement)
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          cwd=root)
    if proc.returncode != 0:
        return None  # the statement fails there (a name that checkout does not offer)
    wall, cpu = map(float, proc.stdout.split())
    return wall * 1e3, cpu * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=25)
    parser.add_argument("--baseline", type=Path, help="another checkout, for before/after")
    args = parser.parse_args()
    roots = {"this": ROOT}
    if args.baseline:
        roots = {"baseline": args.baseline.resolve(), **roots}
    print(f"{'statement':52} {'checkout':9} {'wall ms':>8} {'cpu ms':>8}")
    for statement in STATEMENTS:
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in roots}
        failed: set[str] = set()
        for _ in range(args.repeat):
            for name, root in roots.items():
                if name in failed:
                    continue
                result = once(root, statement)
                if result is None:
                    failed.add(name)
                else:
                    samples[name].append(result)
        for name in roots:
            if name in failed:
                print(f"{statement:52} {name:9} {'ImportError':>17}")
                continue
            wall = statistics.median(s[0] for s in samples[name])
            cpu = statistics.median(s[1] for s in samples[name])
            print(f"{statement:52} {name:9} {wall:8.2f} {cpu:8.2f}")


if __name__ == "__main__":
    main()
