"""Injected jobs on the worker pool, with real worker processes: they run on the worker of
their target's spawn key, which lives as long as its session; with that worker gone they
fail, and no other worker ever runs them."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from pool_harness import Recorder, make_job, with_pool

from oocana_local.wire.job import InjectTarget

SET = """
    import os, builtins
    def main(inputs):
        builtins.injected_word = "set"
        return {"out": os.getpid()}
"""
READ = """
    import os, builtins
    def main(inputs):
        return {"out": [os.getpid(), getattr(builtins, "injected_word", None)]}
"""


def injected(job, target: str = "setup", key: str = "flow#setup"):
    spec = dataclasses.replace(job.spec, inject=InjectTarget(target, key), _wire=None)
    return spec.job(job.job_id, job.stacks, job.inputs)


def test_an_injected_job_runs_where_its_target_ran_and_fails_once_that_process_is_gone(
        tmp_path: Path) -> None:
    async def scenario(pool):
        setup = await pool.run(make_job(tmp_path / "s", SET, spawn_key="flow#setup"),
                               Recorder())
        read = await pool.run(injected(make_job(tmp_path / "r", READ)), Recorder())
        [worker] = [w for w in pool.workers if w.spawn_key == "flow#setup"]
        worker.kill()
        await worker.exited
        before = len(pool.workers)
        gone = await pool.run(injected(make_job(tmp_path / "r", READ, node_id="reader")),
                              Recorder())
        return setup, read, gone, before, len(pool.workers)

    setup, read, gone, before, after = with_pool(scenario)
    assert read.status == "done", read.error
    assert read.result["out"] == [setup.result["out"], "set"]
    assert gone.status == "failed"
    assert gone.error.startswith("node 'reader' runs in the process of node 'setup' (inject), "
                                 "but that process is no longer running")
    assert after == before  # no worker was started for it


def test_a_spawn_worker_stays_while_its_session_lives(tmp_path: Path) -> None:
    async def scenario(pool):
        setup = await pool.run(make_job(tmp_path / "s", SET, spawn_key="flow#setup"),
                               Recorder())
        await asyncio.sleep(0.5)  # well past idle_timeout: a shared worker would retire
        read = await pool.run(injected(make_job(tmp_path / "r", READ)), Recorder())
        await pool.session_ended("session-1")
        for _ in range(500):  # now it may retire
            if not any(w.spawn_key for w in pool.workers):
                break
            await asyncio.sleep(0.01)
        return setup, read, [w.spawn_key for w in pool.workers]

    setup, read, left = with_pool(scenario, idle_timeout=0.1, min_workers=0)
    assert read.status == "done", read.error
    assert read.result["out"] == [setup.result["out"], "set"]
    assert "flow#setup" not in left
