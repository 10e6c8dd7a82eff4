"""Plain Python, three ways: direct calls, a fresh subprocess per task, a process pool.

* ``direct``: the blocks are function calls in this process.
* ``subprocess``: every task is a fresh ``python -c`` that reads its input with pickle
  from stdin and writes its output to stdout (what a shell script of tasks would do). The
  fan-out runs at most ``os.cpu_count()`` tasks at once.
* ``pool``: a ``concurrent.futures.ProcessPoolExecutor`` started (and warmed) before the
  timed run; the chain submits each task after the previous one finished, the fan-out
  submits all, and the fan-in is one more task.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import workloads  # noqa: E402

BENCH = str(Path(__file__).resolve().parent.parent)
TASK = ("import sys, pickle; sys.path.insert(0, {bench!r}); import workloads; "
        "args = pickle.load(sys.stdin.buffer); "
        "sys.stdout.buffer.write(pickle.dumps(workloads.{fn}(*args), protocol=5))")


def in_subprocess(fn: str, *args):
    code = TASK.format(bench=BENCH, fn=fn)
    done = subprocess.run([sys.executable, "-c", code], input=pickle.dumps(args, protocol=5),
                          stdout=subprocess.PIPE, check=True)
    return pickle.loads(done.stdout)


def run(variant: str, workload: str, size: int, pool: ProcessPoolExecutor | None):
    if variant == "direct":
        call = {"inc": workloads.inc, "total": workloads.total, "make": workloads.df_values,
                "hop": workloads.hop, "checksum": workloads.df_checksum}
        fan = None
    elif variant == "subprocess":
        def call_one(fn):
            return lambda *args: in_subprocess(fn, *args)
        call = {fn: call_one(fn) for fn in ("inc", "total", "df_values", "hop", "df_checksum")}
        call["make"], call["checksum"] = call["df_values"], call["df_checksum"]
        fan = ThreadPoolExecutor(os.cpu_count() or 2)
    else:
        assert pool is not None
        fns = {"inc": workloads.inc, "total": workloads.total, "make": workloads.df_values,
               "hop": workloads.hop, "checksum": workloads.df_checksum}

        def submit_one(fn):
            return lambda *args: pool.submit(fn, *args).result()
        call = {name: submit_one(fn) for name, fn in fns.items()}
        fan = pool

    if workload == "chain":
        x = 0
        for _ in range(size):
            x = call["inc"](x)
        return x
    if workload == "fanout":
        if fan is None:
            values = [call["inc"](i) for i in range(size)]
        elif isinstance(fan, ProcessPoolExecutor):
            values = [f.result() for f in [fan.submit(workloads.inc, i) for i in range(size)]]
        else:
            values = list(fan.map(call["inc"], range(size)))
        return call["total"](*values)
    if workload == "dataframe":
        return call["checksum"](call["hop"](call["make"](size)))
    raise ValueError(workload)


def main() -> None:
    args = workloads.parse_args(["direct", "subprocess", "pool"])
    pool = None
    if args.variant == "pool":
        pool = ProcessPoolExecutor()
        list(pool.map(workloads.inc, range(8)))  # start the workers
    small = 1000 if args.workload == "dataframe" else workloads.WARMUP_SIZE
    run(args.variant, args.workload, small, pool)
    ms, answer = workloads.timed(lambda: run(args.variant, args.workload, args.size, pool))
    if pool is not None:
        pool.shutdown()
    extra = {}
    if args.variant == "direct" and args.workload == "dataframe":
        # The reference for a DataFrame hop between processes: pickle dumps + loads here.
        df = workloads.df_values(args.size)
        extra["pickle_ms"], _ = workloads.timed(
            lambda: pickle.loads(pickle.dumps(df, protocol=5)))
    workloads.report(ms, answer, **extra)


if __name__ == "__main__":
    main()
