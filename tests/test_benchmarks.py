"""Smoke test of ``benchmarks/run.py --quick``: every workload runs and gives the right
answer in oocana-local and plain Python. No timing is asserted (the machine is shared);
this only keeps the benchmark working on a fresh clone. Takes about 10 s."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


def test_quick_benchmark_runs_every_workload(tmp_path: Path) -> None:
    raw = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--peers", "oocana-local,python",
         "--json", str(raw), "--budget", "100000"],  # never skip one for being slow here
        capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    cells = json.loads(raw.read_text())
    workloads = {key.split(" | ")[0] for key in cells}
    assert len(workloads) == 5, workloads  # chain x2, fan-out, DataFrame, cold start
    for key, cell in cells.items():
        assert cell["error"] is None, (key, cell["error"])
        assert cell["times"], key  # ran, and its answer was checked by run.py
    engines = {key.split(" | ")[1] for key in cells}
    assert {"oocana-local", "python direct calls", "python subprocess per task",
            "python ProcessPoolExecutor"} <= engines
    table = done.stdout
    assert "| workload | engine | median ms |" in table
    assert "cold start, one-node flow from the CLI | oocana-local run |" in table


def test_cold_start_and_manifest_load_benchmarks_print_their_tables(tmp_path: Path) -> None:
    bench = BENCH.parent
    cold = subprocess.run([sys.executable, str(bench / "cold_start.py"), "--repeat", "1"],
                          capture_output=True, text=True, timeout=120)
    assert cold.returncode == 0, cold.stdout + cold.stderr
    assert "| python -c pass | " in cold.stdout
    assert "| python -m oocana_local run | " in cold.stdout
    load = subprocess.run([sys.executable, str(bench / "manifest_load.py"), "--repeat", "1",
                           "--nodes", "20"], capture_output=True, text=True, timeout=120)
    assert load.returncode == 0, load.stdout + load.stderr
    assert "| warm: load a 20-node chain | " in load.stdout


def test_worker_and_oocana_import_benchmarks_run(tmp_path: Path) -> None:
    bench = BENCH.parent
    trips = subprocess.run([sys.executable, str(bench / "worker_roundtrip.py"), "--jobs", "60",
                            "--spawns", "1", "--import-oocana"],
                           capture_output=True, text=True, timeout=120)
    assert trips.returncode == 0, trips.stdout + trips.stderr
    assert "spawn -> first job:" in trips.stdout and "trivial job:" in trips.stdout
    imports = subprocess.run([sys.executable, str(bench / "oocana_import.py"), "--repeat", "1"],
                             capture_output=True, text=True, timeout=120)
    assert imports.returncode == 0, imports.stdout + imports.stderr
    rows = [line for line in imports.stdout.splitlines() if line.startswith("from oocana")]
    assert len(rows) == 5 and not any("ImportError" in row for row in rows)


def test_pool_ratio_benchmark_prints_a_ratio_per_workload() -> None:
    done = subprocess.run([sys.executable, str(BENCH.parent / "pool_ratio.py"), "--rounds",
                           "1", "--workloads", "chain:5,fanout:5"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {line.split(" | ")[0]: line.split(" | ")[1:] for line in done.stdout.splitlines()
            if line.startswith("| chain") or line.startswith("| fanout")}
    assert set(rows) == {"| chain 5", "| fanout 5"}, done.stdout
    for cells in rows.values():  # oocana-local, pool ms per block; the ratio
        assert all(float(cell.strip(" |")) > 0 for cell in cells), cells
