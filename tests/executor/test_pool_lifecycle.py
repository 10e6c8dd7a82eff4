"""Workers start, grow, crash, get cancelled, retire and close: nothing is left behind."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from pool_harness import Recorder, make_job, pid_alive, run_block, run_job, with_pool

from oocana_local.errors import WorkerError
from oocana_local.executor.base import Job, Outcome, OutcomeStatus

TRIVIAL = "def main(inputs):\n    return {'out': 1}\n"
PID = "import os\ndef main(inputs):\n    return {'out': os.getpid()}\n"


def test_os_exit_crashes_the_job_and_the_next_job_works(tmp_path: Path) -> None:
    async def scenario(pool):
        crashed = await pool.run(make_job(tmp_path / "a", "import os\ndef main():\n"
                                                           "    os._exit(3)\n"), Recorder())
        after = await pool.run(make_job(tmp_path / "b", TRIVIAL), Recorder())
        return crashed, after

    crashed, after = with_pool(scenario)
    assert crashed == Outcome(OutcomeStatus.CRASHED,
                              error="worker process died with exit code 3")
    assert after.status == "done"


def test_segfault_names_the_signal_and_keeps_the_fault_traceback(tmp_path: Path) -> None:
    async def scenario(pool):
        rec = Recorder()
        code = "import os, signal\ndef main():\n    os.kill(os.getpid(), signal.SIGSEGV)\n"
        crashed = await pool.run(make_job(tmp_path / "a", code), rec)
        after = await pool.run(make_job(tmp_path / "b", TRIVIAL), Recorder())
        return crashed, after

    crashed, after = with_pool(scenario)
    assert crashed.status == "crashed"
    first, *rest = crashed.error.splitlines()
    assert first == "worker process was killed by signal SIGSEGV (11)"
    assert any("Fatal Python error" in line for line in rest)
    assert after.status == "done"


def test_cancelling_a_job_kills_its_worker_and_children(tmp_path: Path) -> None:
    code = """
        import subprocess, time
        def main(inputs, context):
            child = subprocess.Popen(["sleep", "30"])
            print(child.pid)
            time.sleep(30)
    """

    async def scenario(pool):
        rec = Recorder()
        task = asyncio.ensure_future(pool.run(make_job(tmp_path / "a", code), rec))
        for _ in range(200):
            await asyncio.sleep(0.02)
            if rec.logs:
                break
        worker_pid = pool.workers[0].pid
        child_pid = int(rec.logs[0])
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        after = await pool.run(make_job(tmp_path / "b", TRIVIAL), Recorder())
        return worker_pid, child_pid, after

    worker_pid, child_pid, after = with_pool(scenario)
    assert not pid_alive(worker_pid)
    assert not pid_alive(child_pid)
    assert after.status == "done"


def test_timeout_through_wait_for(tmp_path: Path) -> None:
    async def scenario(pool):
        started = tmp_path / "started"
        job = make_job(tmp_path, "import pathlib, time\ndef main():\n"
                                 f"    pathlib.Path({str(started)!r}).touch()\n"
                                 "    time.sleep(30)\n")
        run = asyncio.ensure_future(pool.run(job, Recorder()))
        while not started.exists():  # the job runs in its worker (however slow its start)
            await asyncio.sleep(0.02)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(run, 0.2)
        return [w.pid for w in pool.workers]

    assert with_pool(scenario) == []  # killed and not replaced until a job needs one


def test_close_kills_every_worker_within_a_second(tmp_path: Path) -> None:
    async def scenario(pool):
        job = lambda i: make_job(tmp_path / str(i), "import time\ndef main():\n"  # noqa: E731
                                                    "    time.sleep(30)\n")
        tasks = [asyncio.ensure_future(pool.run(job(i), Recorder())) for i in range(3)]
        for _ in range(100):
            await asyncio.sleep(0.05)
            if len(pool.workers) == 3 and all(w.job for w in pool.workers):
                break
        pids = [w.pid for w in pool.workers]
        await pool.close()
        outcomes = await asyncio.gather(*tasks)
        return pids, outcomes

    pids, outcomes = with_pool(scenario, max_workers=3, grow_after=0.01)
    assert len(pids) == 3
    assert not any(pid_alive(pid) for pid in pids)
    assert {o.status for o in outcomes} == {"cancelled"}
    with pytest.raises(ChildProcessError):  # reaped: no zombie children left
        for pid in pids:
            os.waitpid(pid, os.WNOHANG)


def test_long_jobs_get_parallel_workers(tmp_path: Path) -> None:
    code = "import os, time\ndef main(inputs):\n    time.sleep(0.5)\n    return {'out': os.getpid()}\n"

    async def scenario(pool):
        await pool.start()
        return await asyncio.gather(*(pool.run(make_job(tmp_path, code), Recorder())
                                      for _ in range(3)))

    outcomes = with_pool(scenario, max_workers=3)
    assert len({o.result["out"] for o in outcomes}) == 3


def test_a_queue_waits_for_warm_workers_until_the_growth_rule_says_otherwise(
        tmp_path: Path) -> None:
    """40 jobs queued at once do not start 40 processes: they wait for the warm worker
    until the growth rule (``growth.py``, tested on numbers in ``test_growth.py``) lets
    the pool grow, which here it never does in time."""
    async def scenario(pool):
        await pool.start()
        outcomes = await asyncio.gather(*(pool.run(make_job(tmp_path, PID), Recorder())
                                          for _ in range(40)))
        return {o.result["out"] for o in outcomes}

    assert len(with_pool(scenario, max_workers=8, grow_after=3600)) == 1


def test_idle_workers_beyond_the_minimum_retire(tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    code = (f"import os, time\ndef main(inputs):\n"
            f"    while not os.path.exists({str(gate)!r}):\n        time.sleep(0.01)\n")

    async def until(condition) -> None:  # a guard against hanging, not a speed bound
        for _ in range(3000):
            if condition():
                return
            await asyncio.sleep(0.01)

    async def scenario(pool):
        jobs = [asyncio.ensure_future(pool.run(make_job(tmp_path, code), Recorder()))
                for _ in range(3)]
        await until(lambda: sum(1 for w in pool.workers if w.job) == 3)
        grown = len(pool.workers)
        gate.touch()
        await asyncio.gather(*jobs)
        await until(lambda: len(pool.workers) == 1)
        return grown, len(pool.workers)

    # Held by long jobs, the pool grows past the cores; idle, it shrinks to the minimum.
    assert with_pool(scenario, max_workers=3, idle_timeout=0.2, cpus=1) == (3, 1)


def test_spawn_key_gets_a_dedicated_worker(tmp_path: Path) -> None:
    async def scenario(pool):
        shared = await pool.run(make_job(tmp_path, PID), Recorder())
        own = [await pool.run(make_job(tmp_path, PID, spawn_key="node#2"), Recorder())
               for _ in range(2)]
        return shared.result["out"], [o.result["out"] for o in own]

    shared, own = with_pool(scenario)
    assert own[0] == own[1] != shared


def test_environment_and_directories(tmp_path: Path) -> None:
    code = """
        import os
        def main(inputs, context):
            dirs = [context.session_dir, context.tmp_dir, context.tmp_pkg_dir, context.pkg_dir]
            writable = []
            for d in dirs:
                with open(os.path.join(d, "probe.txt"), "w") as f:
                    f.write("ok")
                writable.append(os.path.isdir(d))
            return {"out": {"writable": writable, "env": {k: os.environ.get(k) for k in
                    ("OOMOL_POOL", "OOMOL_JOB", "OOCANA_PKG_DIR", "MPLBACKEND")},
                    "llm": context.oomol_llm_env["base_url"], "host": context.host_info}}
    """

    async def scenario(pool):
        first = await pool.run(make_job(tmp_path, code, env={"OOMOL_JOB": "1"}), Recorder())
        second = await pool.run(make_job(tmp_path, code), Recorder())
        return first, second

    first, second = with_pool(scenario, env={"OOMOL_POOL": "pool", "OOMOL_LLM_BASE_URL": "u",
                                             "OOMOL_HOST_GPU_VENDOR": "acme"})
    out = first.result["out"]
    assert out["writable"] == [True] * 4
    assert out["env"] == {"OOMOL_POOL": "pool", "OOMOL_JOB": "1",
                          "OOCANA_PKG_DIR": str(tmp_path / "pkg_data"), "MPLBACKEND": "Agg"}
    assert out["llm"] == "u"
    assert out["host"] == {"gpu_vendor": "acme", "gpu_renderer": "unknown"}
    assert second.result["out"]["env"]["OOMOL_JOB"] is None  # a job's env ends with it


def test_requests_are_answered_by_the_handler(tmp_path: Path) -> None:
    code = """
        async def main(inputs, context):
            block = await context.query_block("blk_b")
            downstream = await context.query_downstream(["out"])
            try:
                await context.query_block("missing")
            except ValueError as exc:
                error = str(exc)
            return {"out": [block, downstream, error]}
    """

    def answer(message):
        if message["action"] == "QueryBlock" and message["block"] == "missing":
            raise LookupError("block missing not found")
        return {"action": message["action"], "handles": message.get("handles")}

    outcome, rec = run_job(make_job(tmp_path, code), Recorder(answer))
    assert outcome.status == "done", outcome.error
    assert outcome.result["out"] == [{"action": "QueryBlock", "handles": None},
                                     {"action": "QueryDownstream", "handles": ["out"]},
                                     "block missing not found"]
    assert rec.requests[0] == {"action": "QueryBlock", "block": "blk_b"}


def test_run_block_streams_events_to_the_block(tmp_path: Path) -> None:
    code = """
        async def main(inputs, context):
            seen = []
            job = context.run_block("self::child", inputs={"x": 1})
            job.add_output_callback(lambda out: seen.append(["out", out]))
            job.add_progress_callback(lambda p: seen.append(["progress", p]))
            await job.finish()
            failing = context.run_block("self::broken", inputs={})
            try:
                await failing.finish()
            except Exception as exc:
                seen.append(["error", str(exc)])
            return {"out": seen}
    """

    async def answer(message):
        assert message["action"] == "RunBlock"
        request = message["request"]
        if request.block == "self::broken":
            raise LookupError("no block named broken")
        emit = message["emit_event"]
        job_id = request.job_id
        emit({"type": "BlockOutput", "job_id": job_id, "handle": "a", "output": 1})
        emit({"type": "BlockProgress", "job_id": job_id, "progress": 50})
        emit({"type": "BlockFinished", "job_id": job_id, "result": {"b": 2}})
        return None

    outcome, rec = run_job(make_job(tmp_path, code), Recorder(answer))
    assert outcome.status == "done", outcome.error
    assert outcome.result["out"] == [
        ["out", {"a": 1}], ["progress", 50], ["out", {"b": 2}], ["progress", 100],
        ["error", "BlockExecuteException: run block self::broken failed: no block named broken"]]
    request = rec.requests[0]["request"]
    assert request.inputs == {"x": 1}
    assert request.stacks == [{"flow_job_id": "flow-1", "flow": "flow.oo.yaml",
                               "node_id": "node#1"}]


def test_a_failing_handler_does_not_break_the_job(tmp_path: Path) -> None:
    class Broken(Recorder):
        def on_event(self, message):
            raise RuntimeError("subscriber bug")

    outcome, _ = run_job(make_job(tmp_path, "def main():\n    print('x')\n    return {'out': 1}\n"),
                         Broken())
    assert outcome.status == "done"


def test_workers_exit_when_the_engine_dies(tmp_path: Path) -> None:
    engine = textwrap.dedent(f"""
        import asyncio, sys, time
        sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
        from oocana_local.executor.pool import WorkerPool
        async def main():
            pool = WorkerPool(min_workers=2)
            await pool.start()
            print(" ".join(str(w.pid) for w in pool.workers), flush=True)
            time.sleep(60)
        asyncio.run(main())
    """)
    process = subprocess.Popen([sys.executable, "-c", engine], stdout=subprocess.PIPE,
                               text=True)
    try:
        pids = [int(p) for p in process.stdout.readline().split()]
    finally:
        process.kill()
        process.wait()
    assert len(pids) == 2
    deadline = time.monotonic() + 5
    while any(pid_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not any(pid_alive(p) for p in pids)


def test_matplotlib_needs_no_display(tmp_path: Path) -> None:
    outcome, _ = run_block(tmp_path, """
        import matplotlib
        import matplotlib.pyplot as plt
        def main(inputs):
            plt.plot([1, 2])
            plt.show()
            return {"out": matplotlib.get_backend().lower()}
    """)
    # Agg rendering, with a show() that sends previews (see worker/mpl_backend.py)
    assert (outcome.status, outcome.result) == (
        "done", {"out": "module://oocana_local.worker.mpl_backend"}), outcome.error


def test_workers_ignore_sigint(tmp_path: Path) -> None:
    code = "import time\ndef main(inputs):\n    time.sleep(0.4)\n    return {'out': 'survived'}\n"

    async def scenario(pool):
        await pool.start()
        task = asyncio.ensure_future(pool.run(make_job(tmp_path, code), Recorder()))
        await asyncio.sleep(0.15)
        os.kill(pool.workers[0].pid, signal.SIGINT)  # Ctrl-C is the engine's business
        return await task

    assert with_pool(scenario).result == {"out": "survived"}


def test_a_trivial_job_is_one_message_each_way(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from oocana_local.executor.process import WorkerProcess

    sent: list[str] = []
    received: list[str] = []
    original_send, original_dispatch = WorkerProcess.send, WorkerProcess._dispatch

    def send(self, message):
        sent.append(message["type"])
        return original_send(self, message)

    def dispatch(self, message):
        received.append(message["type"])
        return original_dispatch(self, message)

    monkeypatch.setattr(WorkerProcess, "send", send)
    monkeypatch.setattr(WorkerProcess, "_dispatch", dispatch)

    async def scenario(pool):
        await pool.start()
        for _ in range(3):
            await pool.run(make_job(tmp_path, TRIVIAL), Recorder())

    with_pool(scenario)
    assert sent == ["run"] * 3
    assert received == ["ready"] + ["BlockFinished"] * 3


def test_large_values_both_ways(tmp_path: Path) -> None:
    big = list(range(400_000))
    outcome, _ = run_job(make_job(tmp_path, """
        def main(inputs):
            return {"out": inputs["big"][::-1], "text": "x" * 5_000_000}
    """, inputs={"big": big}, outputs=("out", "text")))
    assert outcome.status == "done", outcome.error
    assert outcome.result["out"] == big[::-1]
    assert len(outcome.result["text"]) == 5_000_000


def test_a_worker_that_cannot_start_fails_jobs_clearly(tmp_path: Path) -> None:
    broken = {"PYTHONHOME": str(tmp_path / "no-python-here")}  # the interpreter cannot start

    async def scenario(pool):
        outcome = await pool.run(make_job(tmp_path, TRIVIAL), Recorder())
        with pytest.raises(WorkerError, match="before it was ready"):
            await pool.start()
        return outcome

    outcome = with_pool(scenario, env=broken)
    assert outcome.status == "crashed"
    assert outcome.error.startswith("could not start a worker process: worker process died "
                                    "with exit code 1 before it was ready")


# -- a job sent ahead to a busy worker --------------------------------------------------------

def _waits_for(marker: Path, then: str = "return {'out': os.getpid()}") -> str:
    return (f"import os, time\ndef main(inputs):\n"
            f"    while not os.path.exists({str(marker)!r}):\n        time.sleep(0.01)\n"
            f"    {then}\n")


async def _one_behind_another(pool, first: Job, second: Job) -> tuple[Any, Any, bool]:
    """``first`` on the pool's worker, then ``second``; whether it was sent ahead."""
    await pool.start()
    running = asyncio.ensure_future(pool.run(first, Recorder()))
    await asyncio.sleep(0)  # the first job is on the worker
    behind = asyncio.ensure_future(pool.run(second, Recorder()))
    await asyncio.sleep(0)
    return running, behind, any(w.ahead is not None for w in pool.workers)


def _makes(marker: Path) -> str:
    return (f"import os\ndef main(inputs):\n    open({str(marker)!r}, 'w').close()\n"
            f"    return {{'out': os.getpid()}}\n")


def test_a_job_sent_ahead_behind_one_that_waits_for_it_is_given_back(tmp_path: Path) -> None:
    """Jobs are quick, so the second goes to the busy worker, behind the first; but the
    first waits for the second. The worker gives it back, unbegun, and it runs on a new
    worker: no deadlock."""
    marker = tmp_path / "made"

    async def scenario(pool):
        waiter, maker, sent_ahead = await _one_behind_another(
            pool, make_job(tmp_path / "a", _waits_for(marker)),
            make_job(tmp_path / "b", _makes(marker)))
        return sent_ahead, await asyncio.wait_for(asyncio.gather(waiter, maker), 60)

    sent_ahead, (waited, made) = with_pool(scenario, grow_after=0.05, quick=3600)
    assert sent_ahead
    assert waited.status == made.status == "done"
    assert waited.result["out"] != made.result["out"]  # another worker ran the second


def test_a_job_sent_ahead_to_a_worker_that_dies_runs_on_another(tmp_path: Path) -> None:
    gate = tmp_path / "gate"

    async def scenario(pool):
        first, second, sent_ahead = await _one_behind_another(
            pool, make_job(tmp_path / "a", _waits_for(gate, "os._exit(3)")),
            make_job(tmp_path / "b", PID))
        gate.touch()
        return sent_ahead, await asyncio.wait_for(asyncio.gather(first, second), 60)

    sent_ahead, (died, ran) = with_pool(scenario, grow_after=3600, quick=3600)
    assert sent_ahead
    assert died.status == "crashed" and ran.status == "done", ran.error


def test_jobs_waiting_in_a_queue_are_sent_ahead_again_once_jobs_are_quick(
        tmp_path: Path) -> None:
    """A slow first job makes jobs look slow, so none is sent ahead when it ends; as the
    quick ones behind it bring the average down, a worker taking a waiting job gets the
    next one sent ahead again (a fan-out queued at once keeps its worker busy)."""
    slow = "import time\ndef main(inputs):\n    time.sleep(1.5)\n    return {'out': 0}\n"

    async def scenario(pool):
        await pool.start()
        sent = []
        send_ahead = pool._send_ahead

        def counted(worker, run):
            sent.append(run.job.job_id)
            send_ahead(worker, run)

        pool._send_ahead = counted
        jobs = [make_job(tmp_path / "slow", slow)]
        jobs += [make_job(tmp_path / f"q{i}", TRIVIAL) for i in range(12)]
        outcomes = await asyncio.wait_for(
            asyncio.gather(*(pool.run(job, Recorder()) for job in jobs)), 60)
        return [job.job_id for job in jobs], sent, outcomes

    ids, sent, outcomes = with_pool(scenario, max_workers=1, grow_after=3600, quick=0.2)
    assert all(outcome.status == "done" for outcome in outcomes)
    assert sent[0] == ids[1]  # behind the slow job, while it had just begun
    assert len(sent) > 1 and set(sent[1:]) <= set(ids[3:])  # again, later in the queue


@pytest.mark.parametrize("round_", range(3))
def test_jobs_sent_ahead_and_revoked_at_once_each_run_exactly_once(tmp_path: Path,
                                                                     round_: int) -> None:
    """Jobs are sent ahead and asked back as soon as they can be: a revoke and the end of
    the job before it cross on the wire (the worker gives the job back after the engine
    saw it begin). Every job still runs, once."""
    ran = tmp_path / "ran"
    block = (f"def main(inputs):\n    with open({str(ran)!r}, 'a') as f:\n"
             f"        f.write(str(inputs['i']) + '\\n')\n    return {{'out': inputs['i']}}\n")

    async def scenario(pool):
        await pool.start()
        make_job(tmp_path / "block", block, inputs={"i": 0})  # writes the block once
        jobs = [make_job(tmp_path / "block", None, inputs={"i": i}) for i in range(300)]
        return await asyncio.wait_for(
            asyncio.gather(*(pool.run(job, Recorder()) for job in jobs)), 120)

    outcomes = with_pool(scenario, max_workers=2, grow_after=0.0005, quick=3600)
    assert [o.result["out"] for o in outcomes] == list(range(300))
    assert sorted(int(line) for line in ran.read_text().split()) == list(range(300))


def test_no_job_is_sent_ahead_of_one_still_waiting_for_its_inputs(tmp_path: Path) -> None:
    """A job placed on a worker that lacks its input waits while the value is copied from
    the worker holding it. A job submitted meanwhile is not sent ahead to that worker: it
    would get there first and run before the job it was meant to follow."""
    gate = tmp_path / "gate"
    folder = tmp_path / "blocks"
    folder.mkdir()
    (folder / "b.py").write_text(textwrap.dedent(f"""
        import os, time
        def make(inputs):
            return {{"thing": {{1, 2, 3}}}}
        def hold(inputs):
            while not os.path.exists({str(gate)!r}):
                time.sleep(0.01)
            return {{"out": os.getpid()}}
        def use(inputs):
            return {{"out": sorted(inputs["thing"])}}
        def trivial(inputs):
            return {{"out": os.getpid()}}
    """))

    def job(function: str, inputs: dict | None = None, **options):
        return make_job(folder, entry="b.py", function=function, inputs=inputs, **options)

    async def scenario(pool):
        await pool.start()
        made = await pool.run(job("make", outputs=(), var_outputs=("thing",)), Recorder())
        thing = {"thing": made.result["thing"]}
        holding = asyncio.ensure_future(pool.run(job("hold", thing), Recorder()))
        await asyncio.sleep(0.5)  # its worker's job began longer than `quick` ago
        using = asyncio.ensure_future(pool.run(job("use", thing), Recorder()))
        trivial = asyncio.ensure_future(pool.run(job("trivial"), Recorder()))
        await asyncio.sleep(0)
        gate.touch()
        return await asyncio.wait_for(asyncio.gather(holding, using, trivial), 60)

    held, used, ran = with_pool(scenario, min_workers=2, max_workers=2, grow_after=3600,
                                quick=0.2)
    assert held.status == used.status == ran.status == "done", (held, used, ran)
    assert used.result["out"] == [1, 2, 3]


def test_cancelling_a_job_sent_ahead_leaves_the_job_its_worker_runs_alone(
        tmp_path: Path) -> None:
    """The job sent ahead is asked back, not its worker stopped: the job the worker runs
    (in a server, maybe another run's) finishes on the same process."""
    gate = tmp_path / "gate"

    async def scenario(pool):
        running, ahead, sent_ahead = await _one_behind_another(
            pool, make_job(tmp_path / "a", _waits_for(gate)), make_job(tmp_path / "b", PID))
        pid = pool.workers[0].pid
        ahead.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ahead
        gate.touch()
        ran = await asyncio.wait_for(running, 60)
        after = await pool.run(make_job(tmp_path / "c", PID), Recorder())
        return sent_ahead, pid, ran, after

    sent_ahead, pid, ran, after = with_pool(scenario, max_workers=1, grow_after=3600,
                                            quick=3600)
    assert sent_ahead
    assert ran.status == "done" and ran.result["out"] == pid, ran
    assert after.status == "done" and after.result["out"] == pid  # the worker lived on
