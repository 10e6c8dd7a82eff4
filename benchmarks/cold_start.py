"""Cold start of the command line, side by side with a bare interpreter.

    python benchmarks/cold_start.py [--repeat 15] [--console-script PATH] [--baseline DIR]

Times whole processes, interleaved so that machine noise hits every row alike:

* ``python -c pass``: the floor, the interpreter alone;
* ``python -m oocana_local run <one-node flow> --json``: one trivial block, start to exit;
* the console script's code path (``from oocana_local.cli import main; main()``), which is
  what the ``oocana-local`` script that pip writes runs; ``--console-script`` adds a row
  for an installed script too (it runs whichever checkout it was installed from);
* with ``--baseline DIR`` (another checkout of this repository, e.g. ``git worktree add``
  of an older commit), ``python -m oocana_local run`` from there: before and after in
  one table.

Prints the median and min-max wall-clock ms of each row and its ratio to ``python -c
pass``, and the CPU time of the whole process tree (engine and worker), which a busy
machine disturbs less than the wall clock (but which does not show work done in
parallel).
Processes run as an installed package does, with its bytecode cached (in a temporary
``PYTHONPYCACHEPREFIX``, written by a warm-up run), whatever ``PYTHONDONTWRITEBYTECODE``
says (``--environment-as-is`` leaves the environment alone). Profile one run with ``python -X importtime -m oocana_local run <flow>``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from workloads import NUMBER_BLOCK  # noqa: E402

FLOW = """\
nodes:
  - node_id: inc
    task: ../blocks/inc
    inputs_from: [{handle: x, value: 1}]
outputs_def: [{handle: x}]
outputs_from: [{handle: x, from_node: [{node_id: inc, output_handle: x}]}]
"""


OUTPUT = '"outputs":{"x":2}'  # what --json prints when the block ran


def bytecode_env(folder: Path) -> dict[str, str]:
    """The environment of a process that caches bytecode under ``folder``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    return env


def write_flow(root: Path) -> Path:
    block = root / "blocks" / "inc"
    block.mkdir(parents=True)
    (block / "block.oo.yaml").write_text(NUMBER_BLOCK)
    (block / "main.py").write_text("def main(inputs):\n    return {'x': inputs['x'] + 1}\n")
    flow = root / "one"
    flow.mkdir()
    (flow / "flow.oo.yaml").write_text(FLOW)
    return flow


def timed(argv: list[str], env: dict[str, str], expect: str | None, cwd: Path = ROOT
          ) -> tuple[float, float]:
    """Wall-clock ms of the command, and the CPU ms of its whole process tree."""
    cpu_before = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = (time.perf_counter() - started) * 1000
    cpu = (_children_cpu() - cpu_before) * 1000
    if done.returncode != 0 or (expect is not None and expect not in done.stdout):
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n"
                         f"{done.stdout}{done.stderr}")
    return elapsed, cpu


def _children_cpu() -> float:
    # A reaped process's usage includes the processes it reaped: the engine reaps its
    # workers, so this counts the worker too.
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--console-script", default=None, metavar="PATH",
                        help="an installed oocana-local script to time as well")
    parser.add_argument("--baseline", type=Path, default=None, metavar="DIR",
                        help="another checkout whose `python -m oocana_local run` to time")
    parser.add_argument("--environment-as-is", action="store_true",
                        help="do not arrange for cached bytecode (with "
                             "PYTHONDONTWRITEBYTECODE=1 every run compiles every module)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        flow = write_flow(Path(tmp))
        env = dict(os.environ) if args.environment_as_is else bytecode_env(Path(tmp))
        run_args = ["run", str(flow), "--json"]
        rows: dict[str, tuple[list[str], str | None, Path]] = {
            "python -c pass": ([sys.executable, "-c", "pass"], None, ROOT),
            "python -m oocana_local run": (
                [sys.executable, "-m", "oocana_local", *run_args], OUTPUT, ROOT),
            "console entry point (cli.main)": (
                [sys.executable, "-c",
                 "import sys; from oocana_local.cli import main; sys.exit(main())",
                 *run_args], OUTPUT, ROOT),
        }
        if args.console_script:
            rows[f"{args.console_script} run"] = (
                [args.console_script, *run_args], OUTPUT, ROOT)
        if args.baseline:
            rows[f"python -m oocana_local run, in {args.baseline.name}"] = (
                [sys.executable, "-m", "oocana_local", *run_args], OUTPUT,
                args.baseline.resolve())
        for argv, expect, cwd in rows.values():  # warm-up: bytecode, page cache
            timed(argv, env, expect, cwd)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in rows}
        for _ in range(args.repeat):
            for name, (argv, expect, cwd) in rows.items():
                times[name].append(timed(argv, env, expect, cwd))
    floor = statistics.median(wall for wall, _ in times["python -c pass"])
    floor_cpu = statistics.median(cpu for _, cpu in times["python -c pass"])
    load = os.getloadavg()[0]
    print(f"cold start, one trivial node, {args.repeat} interleaved runs each "
          f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {load:.1f})\n")
    print("| command | median ms | min | max | x python -c pass | CPU ms (all processes) "
          "| x |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, values in times.items():
        walls = [wall for wall, _ in values]
        cpu = statistics.median(c for _, c in values)
        median = statistics.median(walls)
        print(f"| {name} | {median:.0f} | {min(walls):.0f} | {max(walls):.0f} "
              f"| {median / floor:.1f} | {cpu:.0f} | {cpu / floor_cpu:.1f} |")


if __name__ == "__main__":
    main()
