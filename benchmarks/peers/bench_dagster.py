"""Dagster: the workloads as jobs of ops, with the in-process and the multiprocess executor.

Each block is an op (``inc_0`` ... ``inc_N``); the fan-in is an op taking the list of the
fan-out's outputs (Dagster's fan-in). The multiprocess executor needs a reconstructable
job and a persistent instance: the job is rebuilt by ``build_reconstructable_job`` in each
step process, and the instance is a temporary local one (``DAGSTER_HOME`` style storage in
a temp folder), as ``dagster job execute`` would use.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import workloads  # noqa: E402
from dagster import (  # noqa: E402
    DagsterInstance,
    In,
    build_reconstructable_job,
    execute_job,
    in_process_executor,
    job,
    multiprocess_executor,
    op,
)


def _inc_op(name: str, value: int | None = None):
    if value is None:
        @op(name=name)
        def inc(x: int) -> int:
            return workloads.inc(x)
    else:
        @op(name=name)
        def inc() -> int:
            return workloads.inc(value)
    return inc


@op(ins={"xs": In(list)})
def total(xs: list) -> int:
    return workloads.total(*xs)


@op
def make(context) -> object:
    return workloads.df_values(int(os.environ["BENCH_DF_ROWS"]))


@op
def hop(df: object) -> object:
    return workloads.hop(df)


@op
def checksum(df: object) -> float:
    return workloads.df_checksum(df)


def build(workload: str, size: int, variant: str):
    executor = in_process_executor if variant == "inprocess" else multiprocess_executor.configured(
        {"max_concurrent": os.cpu_count() or 2})

    if workload == "chain":
        first = _inc_op("inc_0", 0)
        ops = [_inc_op(f"inc_{i}") for i in range(1, size)]

        @job(name=f"chain_{size}", executor_def=executor)
        def chain():
            x = first()
            for o in ops:
                x = o(x)
    elif workload == "fanout":
        ops = [_inc_op(f"inc_{i}", i) for i in range(size)]

        @job(name=f"fanout_{size}", executor_def=executor)
        def chain():
            total([o() for o in ops])
    else:
        @job(name="dataframe", executor_def=executor)
        def chain():
            checksum(hop(make()))
    return chain


def answer_of(result, workload: str, size: int):
    name = {"chain": f"inc_{size - 1}", "fanout": "total", "dataframe": "checksum"}[workload]
    return result.output_for_node(name)


def run_at(instance, workload: str, size: int, variant: str):
    os.environ["BENCH_DF_ROWS"] = str(size)
    recon = build_reconstructable_job(
        "bench_dagster", "build", reconstructable_args=(workload, size, variant),
        reconstructor_working_directory=str(Path(__file__).parent))
    with execute_job(recon, instance=instance) as result:
        assert result.success
        return answer_of(result, workload, size)


def main() -> None:
    args = workloads.parse_args(["inprocess", "multiprocess"])
    small = 1000 if args.workload == "dataframe" else workloads.WARMUP_SIZE
    with DagsterInstance.local_temp() as instance:
        run_at(instance, args.workload, small, args.variant)  # warm-up
        ms, answer = workloads.timed(
            lambda: run_at(instance, args.workload, args.size, args.variant))
    workloads.report(ms, answer)


if __name__ == "__main__":
    main()
