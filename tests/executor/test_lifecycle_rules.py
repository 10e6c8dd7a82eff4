"""The rules of a job's life (``executor/lifecycle.py``), one scenario per rule, run on
every kind of worker-backed executor: the Python pool, the Node.js pool, a service's
worker and Ray actors. Each scenario runs two jobs on one executor: the rule's, then one
that shows the executor goes on."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from pool_harness import Recorder, make_job

from oocana_local.executor.base import Executor, Job
from oocana_local.executor.node_pool import NodePool
from oocana_local.executor.pool import WorkerPool
from oocana_local.executor.services import ServiceExecutor
from oocana_local.wire.job import ServiceSpec

KINDS = ["python", "nodejs", "service", "ray"]  # "ray" starts the session's Ray runtime

# Block "a" leaves something behind that writes once the file `go` exists, then makes
# `said`; block "b" returns once `said` exists, so what "a" left wrote before "b" ended.
PYTHON = """\
import os, threading, time

def a(inputs, context):
    def later():
        while not os.path.exists(inputs["go"]):
            time.sleep(0.01)
        print("late from a")
        open(inputs["said"], "w").close()
    threading.Thread(target=later, daemon=True).start()
    print("said by a")
    return {"out": 1}

def b(inputs, context):
    while not os.path.exists(inputs["said"]):
        time.sleep(0.01)
    return {"out": 2}

def crash(inputs, context):
    os.write(2, b"last words\\n")
    os._exit(3)

def hang(inputs, context):
    while True:
        time.sleep(0.05)
"""
NODE = """\
import fs from "node:fs";

export async function a(inputs) {
  const timer = setInterval(() => {
    if (!fs.existsSync(inputs.go)) return;
    clearInterval(timer);
    console.log("late from a");
    fs.writeFileSync(inputs.said, "");
  }, 10);
  console.log("said by a");
  return { out: 1 };
}

export async function b(inputs) {
  while (!fs.existsSync(inputs.said)) await new Promise((r) => setTimeout(r, 10));
  return { out: 2 };
}

export async function crash() {
  fs.writeSync(2, "last words\\n");
  process.exit(3);
}

export async function hang() {
  await new Promise(() => {});
}
"""
SERVICE = PYTHON + """
def main(service):
    service.block_handler = {"a": a, "b": b, "crash": crash, "hang": hang}
"""


def _job(kind: str, folder: Path, block: str, inputs: dict[str, Any],
         timeout: float | None = None) -> Job:
    """Job ``block`` of the blocks above, for ``kind`` (all of a kind share one worker)."""
    if kind == "nodejs":
        job = make_job(folder, NODE, entry="main.mjs", function=block, inputs=inputs)
        spec = dataclasses.replace(job.spec, executor="nodejs")
    elif kind == "service":
        job = make_job(folder, SERVICE, function="main", inputs=inputs)
        spec = dataclasses.replace(job.spec, service=ServiceSpec(
            key=f"lifecycle-{folder.name}", name="rules", dir=str(folder), entry="main.py",
            function="main", block=block))
    else:
        job = make_job(folder, PYTHON, function=block, inputs=inputs)
        spec = job.spec
    if timeout is not None:
        spec = dataclasses.replace(spec, timeout=timeout)
    return spec.job(job.job_id, job.stacks, job.inputs, session=job.session)


def _executor(kind: str) -> Executor:
    if kind == "python":
        return WorkerPool(max_workers=1)
    if kind == "nodejs":
        return NodePool()
    if kind == "service":
        return ServiceExecutor()
    from oocana_local.executor.ray_executor import RayExecutor

    return RayExecutor(max_actors=1)


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    if request.param == "ray":
        request.getfixturevalue("ray_runtime")
    return str(request.param)


def _run(kind: str, scenario: Callable[[Executor, list[dict[str, Any]]], Awaitable[Any]]
         ) -> list[dict[str, Any]]:
    """``scenario(executor, reported)`` on a fresh executor of ``kind``; ``reported``
    collects what reached the event loop's exception handler."""
    reported: list[dict[str, Any]] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _, context: reported.append(context))
        executor = _executor(kind)
        try:
            await scenario(executor, reported)
        finally:
            await executor.close()

    asyncio.run(main())
    return reported


def test_late_output_goes_to_the_job_that_said_it(kind: str, tmp_path: Path) -> None:
    folder = tmp_path / kind
    files = {"go": str(tmp_path / "go"), "said": str(tmp_path / "said")}
    first, second = Recorder(), Recorder()

    async def scenario(executor: Executor, reported: list[dict[str, Any]]) -> None:
        outcome = await executor.run(_job(kind, folder, "a", files), first)
        assert outcome.status == "done", outcome.error
        Path(files["go"]).touch()  # now what "a" left behind writes, while "b" runs
        outcome = await executor.run(_job(kind, folder, "b", files), second)
        assert outcome.status == "done", outcome.error

    assert _run(kind, scenario) == []
    assert "said by a" in first.logs
    assert "late from a" in first.logs
    assert "late from a" not in second.logs


def test_a_handler_that_raises_is_reported_and_the_worker_goes_on(kind: str,
                                                                   tmp_path: Path) -> None:
    class Broken(Recorder):
        def on_event(self, message: dict[str, Any]) -> None:
            super().on_event(message)
            raise RuntimeError("a bug of the handler")

    folder = tmp_path / kind
    (tmp_path / "said").touch()  # "b" returns at once
    files = {"go": str(tmp_path / "never"), "said": str(tmp_path / "said")}
    broken, after = Broken(), Recorder()

    async def scenario(executor: Executor, reported: list[dict[str, Any]]) -> None:
        outcome = await executor.run(_job(kind, folder, "a", files), broken)
        assert outcome.status == "done", outcome.error
        assert outcome.result is not None and outcome.result["out"] == 1
        outcome = await executor.run(_job(kind, folder, "b", files), after)
        assert outcome.status == "done", outcome.error
        assert outcome.result is not None and outcome.result["out"] == 2

    reported = _run(kind, scenario)
    assert "said by a" in broken.logs  # the event reached the handler, which then raised
    assert reported, "the handler's exception was not reported"
    assert all(isinstance(c.get("exception"), RuntimeError) for c in reported)
    assert all("a bug of the handler" in str(c["exception"]) for c in reported)


def test_a_worker_that_dies_crashes_its_job_with_its_last_words(kind: str,
                                                                 tmp_path: Path) -> None:
    folder = tmp_path / kind
    (tmp_path / "said").touch()
    files = {"go": str(tmp_path / "never"), "said": str(tmp_path / "said")}

    async def scenario(executor: Executor, reported: list[dict[str, Any]]) -> None:
        outcome = await executor.run(_job(kind, folder, "crash", files), Recorder())
        assert outcome.status == "crashed"
        assert outcome.error is not None
        if kind == "ray":  # an actor's stderr stays on its node: Ray's cause is said
            assert "died" in outcome.error, outcome.error
        else:
            assert "exit code 3" in outcome.error and "last words" in outcome.error, \
                outcome.error
        outcome = await executor.run(_job(kind, folder, "b", files), Recorder())
        assert outcome.status == "done", outcome.error  # on a new worker

    assert _run(kind, scenario) == []


def test_a_job_that_times_out_stops_its_worker_and_the_next_job_runs(kind: str,
                                                                     tmp_path: Path) -> None:
    folder = tmp_path / kind
    (tmp_path / "said").touch()
    files = {"go": str(tmp_path / "never"), "said": str(tmp_path / "said")}

    async def scenario(executor: Executor, reported: list[dict[str, Any]]) -> None:
        outcome = await executor.run(_job(kind, folder, "hang", files, timeout=1.0),
                                     Recorder())
        assert outcome.status == "timeout"
        outcome = await executor.run(_job(kind, folder, "b", files), Recorder())
        assert outcome.status == "done", outcome.error

    assert _run(kind, scenario) == []
