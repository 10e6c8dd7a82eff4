"""oocana-local side by side with the engines a user would pick instead.

    bash benchmarks/setup_peers.sh            # once: Dagster, Prefect, Kedro in their own venvs
    python benchmarks/run.py                  # every workload, every engine, 3 interleaved runs
    python benchmarks/run.py --quick          # small sizes, 1 run, oocana-local + plain python

Every measurement is a fresh process of the engine's own virtual environment
(``benchmarks/.peers/<name>/``) running ``benchmarks/peers/bench_<name>.py``: it warms up,
times one run and prints JSON (time, peak memory of itself and its children, the answer).
Runs are interleaved (round 1 of everything, then round 2, ...) so that machine noise hits
all engines alike. The cold-start workload times a whole command-line process from here.

A peer whose venv is missing is reported as missing. A measurement whose estimated time
(from the same engine's per-block time on a smaller workload) is over ``--budget`` seconds
is not run and is shown as skipped with the estimate. Prints a markdown table: median and
min-max in milliseconds, milliseconds per block, each engine's ratio to oocana-local
(above 1: slower than oocana-local), and peak memory.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PEERS_DIR = HERE / "peers"
VENVS = HERE / ".peers"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(PEERS_DIR))

import workloads  # noqa: E402


@dataclass(frozen=True)
class Engine:
    label: str
    family: str  # venv name, or "" for this python
    script: str
    variant: str
    cold: bool = False  # this engine's row carries the family's cold start


ENGINES = [
    Engine("oocana-local", "", "bench_oocana.py", "engine", cold=True),
    Engine("python direct calls", "", "bench_python.py", "direct", cold=True),
    Engine("python subprocess per task", "", "bench_python.py", "subprocess"),
    Engine("python ProcessPoolExecutor", "", "bench_python.py", "pool"),
    Engine("dagster in-process", "dagster", "bench_dagster.py", "inprocess", cold=True),
    Engine("dagster multiprocess", "dagster", "bench_dagster.py", "multiprocess"),
    Engine("prefect default runner", "prefect", "bench_prefect.py", "default", cold=True),
    Engine("prefect process pool", "prefect", "bench_prefect.py", "processpool"),
    Engine("kedro sequential", "kedro", "bench_kedro.py", "sequential", cold=True),
    Engine("kedro parallel", "kedro", "bench_kedro.py", "parallel"),
]
COLD_LABELS = {"oocana-local": "oocana-local run", "": "python script.py",
               "dagster": "dagster job execute", "prefect": "python flow.py (prefect)",
               "kedro": "kedro run"}

FULL = [("chain", 50), ("fanout", 100), ("chain", 200), ("dataframe", workloads.DF_ROWS),
        ("cold", 1), ("chain", 1000), ("fanout", 1000)]
QUICK = [("chain", 10), ("fanout", 10), ("chain", 50), ("dataframe", 10_000), ("cold", 1)]


def workload_name(workload: str, size: int) -> str:
    if workload == "dataframe":
        return f"DataFrame {size:,} x {workloads.DF_COLUMNS}, chain of 3"
    if workload == "cold":
        return "cold start, one-node flow from the CLI"
    return f"{workload} {size}" if workload == "chain" else f"fan-out {size} + fan-in"


@dataclass
class Cell:
    times: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    self_mb: list[float] = field(default_factory=list)
    error: str | None = None
    skipped: str | None = None
    extra: dict[str, list[float]] = field(default_factory=dict)


def python_of(family: str) -> Path | None:
    if not family:
        return Path(sys.executable)
    python = VENVS / family / "bin" / "python"
    return python if python.exists() else None


def answer_ok(got: Any, want: Any) -> bool:
    if isinstance(want, float) or isinstance(got, float):
        try:
            return math.isclose(float(got), float(want), rel_tol=1e-9)
        except (TypeError, ValueError):
            return False
    return got == want


def run_peer(engine: Engine, workload: str, size: int, timeout: float) -> dict[str, Any]:
    python = python_of(engine.family)
    assert python is not None
    argv = [str(python), str(PEERS_DIR / engine.script), "--variant", engine.variant,
            "--workload", workload, "--size", str(size)]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with tempfile.TemporaryDirectory() as tmp:
        env.setdefault("DAGSTER_HOME", tmp)
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env,
                              cwd=tmp)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"exit {done.returncode}: " + " | ".join(tail))
    return json.loads(lines[-1])


def run_cold(argv: list[str], cwd: Path, env: dict[str, str], answer_file: Path,
             timeout: float) -> tuple[float, float, Any]:
    """Wall time (ms), peak memory of the process tree (MB), the answer."""
    answer_file.unlink(missing_ok=True)
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise RuntimeError(f"timed out after {timeout:.0f} s") from None
    ms = (time.perf_counter() - start) * 1000
    # The child is reaped by communicate(); wait4 is no longer possible, so read the peak
    # from RUSAGE_CHILDREN: the largest process of any finished command so far. Each cold
    # command therefore runs in its own short-lived python (see measure_cold).
    if proc.returncode != 0:
        raise RuntimeError(f"exit {proc.returncode}: {(err or out).strip()[-300:]}")
    if answer_file.exists():
        answer: Any = answer_file.read_text().strip()
        answer = int(answer) if answer.isdigit() else answer
    else:
        lines = [line for line in out.splitlines() if line.startswith("{")]
        answer = json.loads(lines[-1])["outputs"]["x"] if lines else None
    return ms, 0.0, answer


COLD_CHILD = """
import json, resource, sys
sys.path.insert(0, {peers!r}); sys.path.insert(0, {bench!r})
import run
from pathlib import Path
argv, cwd, env, answer_file, timeout = json.loads(sys.stdin.read())
ms, _, answer = run.run_cold(argv, Path(cwd), env, Path(answer_file), timeout)
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({{"ms": ms, "answer": answer, "rss_mb": rss}}))
"""


def measure_cold(argv: list[str], cwd: Path, env: dict[str, str], answer_file: Path,
                 timeout: float) -> dict[str, Any]:
    """Run one cold command from a small python so that its peak memory is its own."""
    code = COLD_CHILD.format(peers=str(PEERS_DIR), bench=str(HERE))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          input=json.dumps([argv, str(cwd), env, str(answer_file), timeout]))
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def fmt_ms(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.1f}"
    return f"{value:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, 1 run, only oocana-local and plain python "
                             "(unless --peers names others)")
    parser.add_argument("--repeat", type=int, default=None, help="interleaved runs (default 3)")
    parser.add_argument("--peers", default=None,
                        help="comma-separated families: oocana-local,python,dagster,prefect,"
                             "kedro (default: all; --quick: oocana-local,python)")
    parser.add_argument("--budget", type=float, default=30.0,
                        help="skip a measurement estimated to take longer (seconds)")
    parser.add_argument("--json", type=Path, default=None, help="also write raw results here")
    args = parser.parse_args(argv)
    repeat = args.repeat or (1 if args.quick else 3)
    plan = QUICK if args.quick else FULL
    wanted = (args.peers.split(",") if args.peers
              else ["oocana-local", "python"] if args.quick
              else ["oocana-local", "python", "dagster", "prefect", "kedro"])

    def family_name(engine: Engine) -> str:
        return engine.family or ("oocana-local" if engine.script == "bench_oocana.py"
                                 else "python")

    engines = [e for e in ENGINES if family_name(e) in wanted]
    missing = sorted({e.family for e in engines if e.family and python_of(e.family) is None})
    engines = [e for e in engines if e.family not in missing]
    cells: dict[tuple[str, str], Cell] = {}
    started = time.perf_counter()

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        bindirs = {e.family: VENVS / e.family / "bin" for e in engines if e.family}
        kedro_version = None
        if "kedro" in bindirs:
            kedro_version = subprocess.run(
                [str(bindirs["kedro"] / "python"), "-c", "import kedro; print(kedro.__version__)"],
                capture_output=True, text=True).stdout.strip()
        cold_cmds = workloads_cold = {}
        if any(w == "cold" for w, _ in plan):
            from cold import commands, environment
            workloads_cold = commands(tmp, bindirs, kedro_version)
            cold_env = environment(tmp)
        cold_cmds = workloads_cold

        for round_ in range(repeat):
            for workload, size in plan:
                name = workload_name(workload, size)
                for engine in engines:
                    if workload == "cold" and not engine.cold:
                        continue
                    key = (name, engine.label)
                    cell = cells.setdefault(key, Cell())
                    if cell.error or cell.skipped:
                        continue
                    blocks = workloads.blocks_of(workload, size)
                    if workload in ("chain", "fanout") and round_ == 0:
                        per_block = [statistics.median(c.times) / workloads.blocks_of(*wl)
                                     for (n, label), c in cells.items()
                                     for wl in [_parse(n)] if wl and label == engine.label
                                     and c.times and wl[0] == workload]
                        if per_block and min(per_block) * blocks / 1000 > args.budget:
                            cell.skipped = (f"skipped: ~{min(per_block) * blocks / 1000:,.0f} s "
                                            f"per run (> --budget {args.budget:.0f} s)")
                            continue
                    try:
                        if workload == "cold":
                            family = engine.family or (
                                "oocana-local" if engine.script == "bench_oocana.py" else "")
                            argv_cwd = cold_cmds.get(family or "python")
                            if argv_cwd is None:
                                raise RuntimeError("no command")
                            result = measure_cold(argv_cwd[0], argv_cwd[1], cold_env,
                                                  tmp / "answer.txt", 300)
                            got = result["answer"]
                            cell.rss_mb.append(result["rss_mb"])
                        else:
                            result = run_peer(engine, workload, size,
                                              timeout=max(300.0, args.budget * 4))
                            got = result["answer"]
                            cell.rss_mb.append((result["maxrss_self_kb"]
                                                + result["maxrss_children_kb"]) / 1024)
                            cell.self_mb.append(result["maxrss_self_kb"] / 1024)
                            for k, v in result.items():
                                if k.endswith("_ms") and k != "ms":
                                    cell.extra.setdefault(k, []).append(v)
                        want = workloads.expected(workload, size)
                        if not answer_ok(got, want):
                            raise RuntimeError(f"wrong answer {got!r}, expected {want!r}")
                        cell.times.append(result["ms"])
                    except Exception as exc:  # noqa: BLE001 - reported in the table
                        cell.error = f"error: {str(exc)[:160]}"
                    print(f"[{time.perf_counter() - started:6.0f} s] round {round_ + 1}/"
                          f"{repeat} {name} | {engine.label}: "
                          f"{cell.error or cell.skipped or fmt_ms(cell.times[-1]) + ' ms'}",
                          file=sys.stderr, flush=True)

    print_table(cells, plan, engines, missing, repeat, args, time.perf_counter() - started)
    if args.json:
        args.json.write_text(json.dumps(
            {f"{k[0]} | {k[1]}": vars(c) for k, c in cells.items()}, indent=1))
    bad = [k for k, c in cells.items() if c.error]
    return 1 if bad else 0


def _parse(name: str) -> tuple[str, int] | None:
    parts = name.split()
    if parts[0] == "chain":
        return "chain", int(parts[1])
    if parts[0] == "fan-out":
        return "fanout", int(parts[1])
    return None


def print_table(cells: dict[tuple[str, str], Cell], plan: list[tuple[str, int]],
                engines: list[Engine], missing: list[str], repeat: int,
                args: argparse.Namespace, elapsed: float) -> None:
    print(f"`python benchmarks/run.py{' --quick' if args.quick else ''}"
          f"{' --peers ' + args.peers if args.peers else ''}`: {repeat} interleaved run(s), "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{elapsed / 60:.1f} min in all.\n")
    print("| workload | engine | median ms | min–max ms | ms/block | × oocana-local | "
          "peak MB |")
    print("|---|---|---:|---:|---:|---:|---:|")
    order = sorted(plan, key=lambda p: (["chain", "fanout", "dataframe", "cold"].index(p[0]),
                                        p[1]))
    for workload, size in order:
        name = workload_name(workload, size)
        base = cells.get((name, "oocana-local"))
        base_median = statistics.median(base.times) if base and base.times else None
        for engine in engines:
            cell = cells.get((name, engine.label))
            if cell is None:
                continue
            label = engine.label
            if workload == "cold":
                family = engine.family or ("oocana-local" if engine.script == "bench_oocana.py"
                                           else "")
                label = COLD_LABELS[family]
            if not cell.times:
                print(f"| {name} | {label} | {cell.error or cell.skipped} | | | | |")
                continue
            median = statistics.median(cell.times)
            per_block = median / workloads.blocks_of(workload, size)
            ratio = f"{median / base_median:,.1f}" if base_median else ""
            if engine.label == "oocana-local":
                ratio = "1"
            peak = f"{max(cell.rss_mb):,.0f}"
            if cell.self_mb:
                peak += f" ({max(cell.self_mb):,.0f} own)"
            print(f"| {name} | {label} | {fmt_ms(median)} | {fmt_ms(min(cell.times))}–"
                  f"{fmt_ms(max(cell.times))} | {fmt_ms(per_block)} | {ratio} | {peak} |")
            for key, values in cell.extra.items():
                if key == "pickle_ms":
                    print(f"| {name} | (reference) pickle dumps+loads of the DataFrame, "
                          f"in-process | {fmt_ms(statistics.median(values))} | "
                          f"{fmt_ms(min(values))}–{fmt_ms(max(values))} | | | |")
    for family in missing:
        print(f"| all | {family} | missing: run `bash benchmarks/setup_peers.sh {family}` "
              "| | | | |")
    print("\nms/block: the run's time divided by its blocks (the fan-in counts as one). "
          "× oocana-local: the engine's median over oocana-local's (above 1: slower). "
          "peak MB: largest ru_maxrss of the measuring process plus that of its largest "
          "child (own: the engine process alone); for cold starts, the largest process of "
          "the command's tree. Warm workloads exclude imports and engine start-up (one "
          "warm-up run at a tiny size first); the cold start is the whole command, wall "
          "clock.")


if __name__ == "__main__":
    raise SystemExit(main())
