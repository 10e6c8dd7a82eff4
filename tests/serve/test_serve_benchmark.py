"""Smoke test of ``benchmarks/serve_load.py`` on a small load: every task completes and is
stored. No timing is asserted; this keeps the benchmark working."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "serve_load.py"


def test_the_load_benchmark_runs_and_loses_nothing():
    done = subprocess.run([sys.executable, str(BENCH), "--repeat", "2", "--tasks", "20",
                           "--clients", "5"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "| Sim: one sync execute call |" in done.stdout
    last = done.stdout.strip().splitlines()[-1].split("|")
    assert last[1].strip() == "20" and last[2].strip() == "20"  # completed, in the store
