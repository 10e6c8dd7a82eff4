"""Prefect: the workloads as a flow of tasks, with the default task runner (threads),
``ProcessPoolTaskRunner``, and (variant ``ray``, needs ``prefect-ray``) ``RayTaskRunner``
on a local Ray runtime started once before the warm-up (a runner that starts Ray itself
shuts it down after each flow run); that variant also reports ``startup_ms``, the
``ray.init``.

Tasks are submitted with ``.submit`` and wired through their futures, so Prefect tracks
each as a task run with its own state, as a user would write a concurrent flow. Prefect
runs against its ephemeral local API (a temporary ``PREFECT_HOME``), the default when no
server is configured.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

_home = tempfile.mkdtemp(prefix="bench-prefect-")
os.environ.setdefault("PREFECT_HOME", _home)
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Its ephemeral API server starts beside a Ray runtime in the ray variant: on a busy
# machine the default 20 s is not enough.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

import workloads  # noqa: E402
from prefect import flow, task  # noqa: E402
from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner  # noqa: E402


@task
def inc(x: int) -> int:
    return workloads.inc(x)


@task
def total(xs: list) -> int:
    return workloads.total(*xs)


@task
def make(rows: int):
    return workloads.df_values(rows)


@task
def hop(df):
    return workloads.hop(df)


@task
def checksum(df) -> float:
    return workloads.df_checksum(df)


def body(workload: str, size: int):
    if workload == "chain":
        x = inc.submit(0)
        for _ in range(size - 1):
            x = inc.submit(x)
        return x.result()
    if workload == "fanout":
        return total.submit([inc.submit(i) for i in range(size)]).result()
    return checksum.submit(hop.submit(make.submit(size))).result()


def main() -> None:
    args = workloads.parse_args(["default", "processpool", "ray"])
    runner: Any
    extra: dict[str, Any] = {}
    if args.variant == "ray":
        import ray
        from prefect_ray.task_runners import RayTaskRunner

        # Ray's workers import this script's tasks, and they import workloads.
        here = str(Path(__file__).resolve().parent.parent)
        env = {"env_vars": {"PYTHONPATH": os.pathsep.join([here, str(Path(__file__).parent)])}}
        extra["startup_ms"], _ = workloads.timed(
            lambda: ray.init(include_dashboard=False, logging_level="ERROR", runtime_env=env))
        runner = RayTaskRunner()
    elif args.variant == "default":
        runner = ThreadPoolTaskRunner()
    else:
        runner = ProcessPoolTaskRunner(max_workers=os.cpu_count() or 2)
    bench = flow(body, name="bench", task_runner=runner, log_prints=False)
    small = 1000 if args.workload == "dataframe" else workloads.WARMUP_SIZE
    bench(args.workload, small)
    ms, answer = workloads.timed(lambda: bench(args.workload, args.size))
    if args.variant == "ray":
        ray.shutdown()
    workloads.report(ms, answer, **extra)


if __name__ == "__main__":
    main()
