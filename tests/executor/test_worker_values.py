"""Values: JSON inline, everything else by reference; identity on one worker, copies across."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pool_harness import Recorder, make_job, run_block, with_pool

from oocana_local.wire.values import is_var_ref, var_key

SHARED = """
import os
import pandas as pd

class Thing:
    def __init__(self, n):
        self.n = n

KEPT = {}

def make(inputs):
    thing = Thing(inputs.get("n", 7))
    KEPT["thing"] = thing
    return {"thing": thing, "frame": pd.DataFrame({"a": [1, 2]})}

def use(inputs):
    thing = inputs["thing"]
    return {"out": {"pid": os.getpid(), "same": thing is KEPT.get("thing"),
                    "n": thing.n, "cls": type(thing).__name__,
                    "frame_sum": int(inputs["frame"]["a"].sum())}}
"""


def make_and_use(folder: Path) -> tuple:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "both.py").write_text(SHARED)

    def make(**options):
        return make_job(folder, entry="both.py", function="make", outputs=("frame",),
                        var_outputs=("thing",), **options)

    def use(made, **options):
        return make_job(folder, entry="both.py", function="use", inputs=dict(made.result),
                        **options)

    return make, use


def test_json_values_inline_and_others_by_reference(tmp_path: Path) -> None:
    outcome, _ = run_block(tmp_path, """
        import numpy as np, pandas as pd
        def main(inputs):
            return {"nan": float("nan"), "inf": [float("inf"), -float("inf")],
                    "tuple": (1, "a"), "np": [np.int64(3), np.float32(0.5), np.bool_(True)],
                    "int_keys": {1: "a"}, "frame": pd.DataFrame({"a": [1]}), "obj": object(),
                    "none": None, "var_basic": 3, "var_none": None}
    """, outputs=("nan", "inf", "tuple", "np", "int_keys", "frame", "obj", "none"),
        var_outputs=("var_basic", "var_none"))
    assert outcome.status == "done", outcome.error
    result = outcome.result
    assert result["nan"] is None and result["inf"] == [None, None]
    assert result["tuple"] == [1, "a"]
    assert result["np"] == [3, 0.5, True] and type(result["np"][0]) is int
    assert result["none"] is None and result["var_basic"] == 3
    for handle in ("int_keys", "frame", "obj", "var_none"):  # var handles keep even None
        assert is_var_ref(result[handle]), handle
        assert result[handle]["value"]["handle"] == handle
    keys = {var_key(result[h]) for h in ("int_keys", "frame", "obj", "var_none")}
    assert len(keys) == 4


def test_same_worker_gets_the_identical_object(tmp_path: Path) -> None:
    make, use = make_and_use(tmp_path)

    async def scenario(pool):
        made = await pool.run(make(), Recorder())
        used = await pool.run(use(made), Recorder())
        key = var_key(made.result["thing"])
        return used, pool.values.holder(key) is pool.workers[0], len(pool.workers)

    used, held, workers = with_pool(scenario, max_workers=1)
    assert used.status == "done", used.error
    assert used.result["out"]["same"] is True
    assert used.result["out"]["frame_sum"] == 3
    assert held and workers == 1


def test_another_worker_gets_a_pickled_copy(tmp_path: Path) -> None:
    make, use = make_and_use(tmp_path)

    async def scenario(pool):
        made = await pool.run(make(), Recorder())
        maker_pid = pool.workers[0].pid
        used = await pool.run(use(made, spawn_key="other"), Recorder())
        return maker_pid, used

    maker_pid, used = with_pool(scenario)
    assert used.status == "done", used.error
    out = used.result["out"]
    assert out["pid"] != maker_pid
    assert out["same"] is False and out["n"] == 7 and out["cls"] == "Thing"
    assert out["frame_sum"] == 3


def test_class_of_a_block_module_unpickles_where_the_module_never_ran(tmp_path: Path) -> None:
    make, _ = make_and_use(tmp_path / "maker")
    reader = tmp_path / "reader"

    async def scenario(pool):
        made = await pool.run(make(), Recorder())
        job = make_job(reader, "def main(inputs):\n"
                               "    t = inputs['thing']\n"
                               "    return {'out': [type(t).__name__, t.n]}\n",
                       inputs={"thing": made.result["thing"]}, spawn_key="reader")
        return await pool.run(job, Recorder())

    outcome = with_pool(scenario)
    assert (outcome.status, outcome.result) == ("done", {"out": ["Thing", 7]}), outcome.error


def test_export_works_while_the_holder_runs_a_job(tmp_path: Path) -> None:
    make, use = make_and_use(tmp_path)
    gate = tmp_path / "gate"
    slow = make_job(tmp_path / "slow", f"import os, time\ndef main():\n"
                                       f"    while not os.path.exists({str(gate)!r}):\n"
                                       f"        time.sleep(0.01)\n")

    async def scenario(pool):
        made = await pool.run(make(), Recorder())
        busy = asyncio.ensure_future(pool.run(slow, Recorder()))  # on the value's holder
        used = await pool.run(use(made, spawn_key="elsewhere"), Recorder())
        still_busy = not busy.done()
        gate.touch()
        await busy
        return used, still_busy

    used, still_busy = with_pool(scenario)
    assert used.status == "done", used.error
    assert still_busy  # the value came while its holder ran a job


def test_freed_and_lost_values_give_a_clear_error(tmp_path: Path) -> None:
    make, use = make_and_use(tmp_path)

    async def scenario(pool):
        made = await pool.run(make(), Recorder())
        await pool.free([var_key(made.result["thing"])])
        return await pool.run(use(made), Recorder())

    outcome = with_pool(scenario)
    assert outcome.status == "failed"
    assert outcome.error.startswith("input 'thing': its value is no longer held by any worker")


def test_a_value_that_cannot_be_pickled_stays_on_its_worker(tmp_path: Path) -> None:
    maker = make_job(tmp_path, "import threading\ndef main():\n"
                               "    return {'lock': threading.Lock()}\n",
                     outputs=(), var_outputs=("lock",))

    async def scenario(pool):
        made = await pool.run(maker, Recorder())
        code = "def main(inputs):\n    return {'out': type(inputs['lock']).__name__}\n"
        here = await pool.run(make_job(tmp_path / "a", code, inputs=made.result), Recorder())
        there = await pool.run(make_job(tmp_path / "b", code, inputs=made.result,
                                        spawn_key="elsewhere"), Recorder())
        return here, there

    here, there = with_pool(scenario)
    assert (here.status, here.result) == ("done", {"out": "lock"})
    assert there.status == "failed"
    assert there.error.startswith("input 'lock': its value cannot be copied to another "
                                  "worker: cannot be pickled: TypeError")


def test_values_of_a_retired_worker_are_kept(tmp_path: Path) -> None:
    make, use = make_and_use(tmp_path)

    async def scenario(pool):
        made = await pool.run(make(), Recorder())
        first_pid = pool.workers[0].pid
        await asyncio.sleep(0.6)  # the idle worker retires, its values parked as blobs
        retired = pool.workers == []
        used = await pool.run(use(made), Recorder())
        return first_pid, retired, used

    first_pid, retired, used = with_pool(scenario, min_workers=0, idle_timeout=0.2)
    assert retired
    assert used.status == "done", used.error
    assert used.result["out"]["pid"] != first_pid and used.result["out"]["n"] == 7
