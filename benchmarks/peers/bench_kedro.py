"""Kedro: the workloads as a pipeline of nodes, with ``SequentialRunner`` and
``ParallelRunner``.

Each block is a node; values travel through in-memory datasets (``MemoryDataset``, or
``SharedMemoryDataset`` under ``ParallelRunner``, which Kedro picks itself). The fan-in is
one node whose inputs are the list of the fan-out's outputs (Kedro passes them as
positional arguments). ``ParallelRunner`` starts its process pool for every run, so its
warm-up cannot keep workers.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import workloads  # noqa: E402
from kedro.io import DataCatalog, MemoryDataset  # noqa: E402
from kedro.pipeline import Pipeline, node  # noqa: E402
from kedro.runner import ParallelRunner, SequentialRunner  # noqa: E402


def build(workload: str, size: int) -> tuple[Pipeline, dict, str]:
    """The pipeline, its input datasets and the name of the answer."""
    if workload == "chain":
        nodes = [node(workloads.inc, f"x{i}", f"x{i + 1}", name=f"inc_{i}")
                 for i in range(size)]
        return Pipeline(nodes), {"x0": 0}, f"x{size}"
    if workload == "fanout":
        nodes = [node(workloads.inc, f"c{i}", f"y{i}", name=f"inc_{i}") for i in range(size)]
        nodes.append(node(workloads.total, [f"y{i}" for i in range(size)], "total",
                          name="total"))
        return Pipeline(nodes), {f"c{i}": i for i in range(size)}, "total"
    nodes = [node(workloads.df_values, "rows", "df0", name="make"),
             node(workloads.hop, "df0", "df1", name="hop"),
             node(workloads.df_checksum, "df1", "sum", name="checksum")]
    return Pipeline(nodes), {"rows": size}, "sum"


def run_once(variant: str, workload: str, size: int):
    pipeline, inputs, out = build(workload, size)
    catalog = DataCatalog({name: MemoryDataset(value) for name, value in inputs.items()})
    runner = (SequentialRunner() if variant == "sequential"
              else ParallelRunner(max_workers=os.cpu_count() or 2))
    if variant == "parallel":
        from kedro.io import SharedMemoryDataCatalog
        catalog = SharedMemoryDataCatalog(
            {name: MemoryDataset(value) for name, value in inputs.items()})
    outputs = runner.run(pipeline, catalog)
    value = outputs[out]
    return value.load() if hasattr(value, "load") else value


def main() -> None:
    args = workloads.parse_args(["sequential", "parallel"])
    logging.getLogger("kedro").setLevel(logging.WARNING)
    small = 1000 if args.workload == "dataframe" else workloads.WARMUP_SIZE
    run_once(args.variant, args.workload, small)
    ms, answer = workloads.timed(lambda: run_once(args.variant, args.workload, args.size))
    workloads.report(ms, answer)


if __name__ == "__main__":
    main()
