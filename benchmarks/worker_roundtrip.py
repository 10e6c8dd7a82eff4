"""Worker pool overhead: spawn-to-ready time and the round trip of a trivial job.

    python benchmarks/worker_roundtrip.py [--jobs 1000] [--spawns 10] [--import-oocana]

Spawns ``--spawns`` workers one after the other and reports the median time from
``Popen`` to the worker's ``ready`` message, and from ``Popen`` to the end of a first
trivial job (the worker imports the rest of itself after ``ready``). Then runs ``--jobs``
trivial jobs (``return {"x": inputs["x"] + 1}``) one after the other on one warm worker
and prints the median and 90th percentile microseconds per job: engine and worker
overhead together, since the block itself costs nothing. With ``--import-oocana`` the
block starts with ``from oocana import Context`` as most blocks do, so the first job also
pays for the ``oocana`` import.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oocana_local.executor.pool import WorkerPool  # noqa: E402
from oocana_local.wire.job import Job, JobSpec, SessionFields  # noqa: E402


class Quiet:
    """A job handler that ignores everything the job says."""

    def on_start(self, cached: bool) -> None:
        pass

    def on_event(self, message: dict[str, Any]) -> None:
        pass

    async def run_block(self, request: Any, events: Any) -> None:
        raise ValueError("not in this benchmark")

    async def query_block(self, block: str) -> dict[str, Any]:
        raise ValueError("not in this benchmark")

    async def query_downstream(self, handles: list[str] | None) -> dict[str, Any]:
        return {}


def make_job(root: Path, n: int) -> Job:
    spec = JobSpec(node_id="inc", executor="python", dir=str(root),
                   entry="main.py", function="main", source=None, block_path=None,
                   inputs_def={"x": {"handle": "x"}}, outputs_def={"x": {"handle": "x"}},
                   package_name="bench")
    session = SessionFields(session_id="bench", session_dir=str(root / "session"),
                            tmp_dir=str(root / "tmp"), tmp_pkg_dir=str(root / "tmp" / "bench"))
    return spec.job(f"job-{n}", [{"node_id": "inc"}], {"x": n}, session=session)


async def spawn_times(root: Path, spawns: int) -> tuple[list[float], list[float]]:
    ready, first_job = [], []
    for i in range(spawns):
        pool = WorkerPool(max_workers=1, min_workers=1)
        start = time.perf_counter()
        await pool.start()
        ready.append(pool.workers[0].startup_seconds)
        outcome = await pool.run(make_job(root, i), Quiet())
        first_job.append(time.perf_counter() - start)
        assert outcome.status == "done", outcome
        await pool.close()
    return ready, first_job


async def round_trips(root: Path, jobs: int) -> list[float]:
    pool = WorkerPool(max_workers=1, min_workers=1)
    await pool.start()
    handler = Quiet()
    for i in range(50):  # warm up: module imported, caches filled
        await pool.run(make_job(root, i), handler)
    times = []
    for i in range(jobs):
        job = make_job(root, i)
        start = time.perf_counter()
        outcome = await pool.run(job, handler)
        times.append(time.perf_counter() - start)
        assert outcome.result == {"x": i + 1}, outcome
    await pool.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--spawns", type=int, default=10)
    parser.add_argument("--import-oocana", action="store_true",
                        help="the block imports Context from oocana, as most blocks do")
    args = parser.parse_args()
    header = "from oocana import Context  # noqa: F401\n" if args.import_oocana else ""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "main.py").write_text(header + "def main(inputs):\n    return {'x': inputs['x'] + 1}\n")
        ready, first = asyncio.run(spawn_times(root, args.spawns))
        times = asyncio.run(round_trips(root, args.jobs))
    ms = [t * 1e3 for t in ready]
    print(f"spawn -> ready:      median {statistics.median(ms):6.1f} ms  "
          f"(min {min(ms):.1f}, max {max(ms):.1f}; {args.spawns} spawns)")
    ms = [t * 1e3 for t in first]
    print(f"spawn -> first job:  median {statistics.median(ms):6.1f} ms")
    us = sorted(t * 1e6 for t in times)
    p90 = us[int(len(us) * 0.9)]
    print(f"trivial job:         median {statistics.median(us):6.0f} us  (p90 {p90:.0f} us, "
          f"min {us[0]:.0f} us; {args.jobs} jobs on one warm worker)")


if __name__ == "__main__":
    main()
