"""The workloads every engine runs, and the little protocol between ``run.py`` and a peer.

Standard library only: each peer script (``benchmarks/peers/bench_*.py``) runs with its own
virtual environment's python and imports this file by path.

A peer script is called as::

    PYTHON benchmarks/peers/bench_NAME.py --variant VARIANT --workload WORKLOAD --size N

It warms up (imports, starts its workers, runs the workload once at a tiny size), times
one run of the workload, shuts down, and prints one JSON line::

    {"ms": 12.3, "answer": 1275, "maxrss_self_kb": ..., "maxrss_children_kb": ...}

``ms`` is the warm run only (engine start-up and imports excluded); ``run.py`` times the
``cold`` workload from outside, as a whole process.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from collections.abc import Callable
from typing import Any

# The manifest of a one-number block ``x -> x``, for the engine-only benchmarks that write
# their own ``main.py`` (``overhead.py``, ``edit_loop.py``).
NUMBER_BLOCK = """\
executor:
  name: python
  options: {entry: main.py}
inputs_def: [{handle: x, json_schema: {type: number}}]
outputs_def: [{handle: x, json_schema: {type: number}}]
"""

# The DataFrame workload: ROWS x COLUMNS floats made by the first block, handed to a
# second block that returns it as it is, and to a third that returns its checksum.
DF_ROWS, DF_COLUMNS = 1_000_000, 5
WARMUP_SIZE = 3  # size of the warm-up run of chain / fanout


def df_values(rows: int = DF_ROWS):
    """The DataFrame's contents (needs numpy+pandas, imported here so the rest stays light)."""
    import numpy as np
    import pandas as pd

    data = np.arange(rows * DF_COLUMNS, dtype="float64").reshape(rows, DF_COLUMNS) / rows
    return pd.DataFrame(data, columns=[f"c{i}" for i in range(DF_COLUMNS)])


def df_checksum(df: Any) -> float:
    return round(float(df.to_numpy().sum()), 3)


def expected(workload: str, size: int) -> Any:
    """The right answer of a workload, to verify every engine computed it."""
    if workload == "chain":
        return size  # 0 -> +1 per block
    if workload == "fanout":
        return size * (size + 1) // 2  # block i returns i + 1; the fan-in sums them
    if workload == "dataframe":
        n = size * DF_COLUMNS  # arange(n) / rows, summed
        return round((n - 1) * n / 2 / size, 3)
    if workload == "cold":
        return 2  # one block: 1 + 1
    raise ValueError(workload)


def blocks_of(workload: str, size: int) -> int:
    """Blocks in one run (for ms per block): the fan-in counts as one more."""
    if workload == "fanout":
        return size + 1
    if workload == "dataframe":
        return 3
    if workload == "cold":
        return 1
    return size


def inc(x: int) -> int:
    """The trivial block: its input + 1."""
    return x + 1


def hop(value: Any) -> Any:
    """The middle DataFrame block: hands its input on."""
    return value


def total(*values: int) -> int:
    """The fan-in block."""
    return sum(values)


def parse_args(variants: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variant", choices=variants, required=True)
    parser.add_argument("--workload", choices=["chain", "fanout", "dataframe"], required=True)
    parser.add_argument("--size", type=int, required=True)
    return parser.parse_args()


def maxrss_kb() -> tuple[int, int]:
    """Peak resident memory of this process, and of its largest finished child (KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return own, children


def report(ms: float, answer: Any, **extra: Any) -> None:
    """Print the result line; call it after the engine shut down (its children reaped)."""
    own, children = maxrss_kb()
    print(json.dumps({"ms": ms, "answer": answer, "maxrss_self_kb": own,
                      "maxrss_children_kb": children, **extra}), flush=True)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    answer = fn()
    return (time.perf_counter() - start) * 1000, answer
