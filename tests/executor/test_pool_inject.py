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
    return spec.job(job.job_id, job.stacks, job.inputs, session=job.session)


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


def node_job(folder: Path, code: str, *, node_id: str, spawn_key: str | None = None,
             inject: InjectTarget | None = None):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "main.mjs").write_text(code)
    job = make_job(folder, None, entry="main.mjs", node_id=node_id, spawn_key=spawn_key)
    spec = dataclasses.replace(job.spec, executor="nodejs", function="", inject=inject,
                               _wire=None)
    return spec.job(job.job_id, job.stacks, job.inputs, session=job.session)


def test_a_nodejs_injected_job_shares_its_targets_process_until_it_is_gone(
        tmp_path: Path) -> None:
    from oocana_local.executor.node_pool import NodePool

    target = InjectTarget("setup", "flow#setup")
    setter = ("export default async function () { globalThis.injectedWord = 'set'; "
              "return { out: process.pid }; }\n")
    reader = ("export default async function () { "
              "return { out: [process.pid, globalThis.injectedWord ?? null] }; }\n")

    async def scenario():
        pool = NodePool()
        try:
            await pool.start()
            setup = await pool.run(node_job(tmp_path / "s", setter, node_id="setup",
                                            spawn_key="flow#setup"), Recorder())
            read = await pool.run(node_job(tmp_path / "r", reader, node_id="reader",
                                           inject=target), Recorder())
            plain = await pool.run(node_job(tmp_path / "p", reader, node_id="plain"),
                                   Recorder())
            [worker] = [w for w in pool.workers if "flow#setup" in str(pool.scope_of(w))]
            worker.kill()
            await worker.exited
            count = len(pool.workers)
            gone = await pool.run(node_job(tmp_path / "r", reader, node_id="reader",
                                           inject=target), Recorder())
            after = len(pool.workers)
            await pool.run(node_job(tmp_path / "s", setter, node_id="setup",
                                    spawn_key="flow#setup"), Recorder())
            kept = any("flow#setup" in str(pool.scope_of(w)) for w in pool.workers)
            await pool.session_ended("session-1")  # the spawn node's worker goes with it
            left = [w for w in pool.workers if "flow#setup" in str(pool.scope_of(w))]
            return setup, read, plain, gone, count, after, kept, left
        finally:
            await pool.close()

    setup, read, plain, gone, before, after, kept, left = asyncio.run(scenario())
    assert read.status == "done", read.error
    assert read.result["out"] == [setup.result["out"], "set"]
    assert plain.result["out"][0] != setup.result["out"] and plain.result["out"][1] is None
    assert gone.status == "failed" and "that process is no longer running" in gone.error
    assert after == before  # no worker was started for it
    assert kept and left == []
