"""Run blocks on real worker processes: write the block, build the Job, record messages."""

from __future__ import annotations

import asyncio
import itertools
import textwrap
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from oocana_local.executor.base import Job, Outcome
from oocana_local.executor.pool import WorkerPool
from oocana_local.wire.job import JobSpec, SessionFields
from oocana_local.wire.requests import RunBlockRequest

_ids = itertools.count(1)

VAR_SCHEMA = {"contentMediaType": "oomol/var"}


class Recorder:
    """A JobHandler that keeps every message and answers requests with ``answer``."""

    def __init__(self, answer: Callable[[dict[str, Any]], Any] | None = None):
        self.messages: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self._answer = answer

    def on_start(self, cached: bool) -> None:
        self.started = True

    def on_event(self, message: dict[str, Any]) -> None:
        self.messages.append(message)

    async def _request(self, message: dict[str, Any]) -> Any:
        self.requests.append(message)
        if self._answer is None:
            return None
        result = self._answer(message)
        if asyncio.iscoroutine(result):
            result = await result
        return result

    async def run_block(self, request: RunBlockRequest, events: Any) -> None:
        await self._request({"action": "RunBlock", "request": request, "emit_event": events})

    async def query_block(self, block: str) -> dict[str, Any]:
        return await self._request({"action": "QueryBlock", "block": block})

    async def query_downstream(self, handles: list[str] | None) -> dict[str, Any]:
        return await self._request({"action": "QueryDownstream", "handles": handles})

    def of(self, type_: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == type_]

    @property
    def logs(self) -> list[str]:
        return [m["log"] for m in self.of("BlockLog")]

    @property
    def warnings(self) -> list[str]:
        return [m["warning"] for m in self.of("BlockWarning")]


def make_job(folder: Path, code: str | None = None, *, inputs: dict[str, Any] | None = None,
             outputs: list[str] | tuple[str, ...] = ("out",), var_outputs: tuple[str, ...] = (),
             entry: str | None = "main.py", source: str | None = None, function: str = "main",
             package_dir: str | None = None,
             env: dict[str, str] | None = None, spawn_key: str | None = None,
             node_id: str = "node#1", job_id: str | None = None) -> Job:
    """A job for ``code`` written to ``folder/entry`` (or run as inline ``source``)."""
    folder.mkdir(parents=True, exist_ok=True)
    if code is not None:
        assert entry is not None
        (folder / entry).write_text(textwrap.dedent(code))
    outputs_def: dict[str, Any] = {h: {"handle": h} for h in outputs}
    outputs_def.update({h: {"handle": h, "json_schema": VAR_SCHEMA} for h in var_outputs})
    inputs = inputs or {}
    spec = JobSpec(node_id=node_id, executor="python",
                   dir=str(folder), entry=None if source else entry, function=function,
                   source=textwrap.dedent(source) if source else None, block_path=None,
                   inputs_def={k: {"handle": k} for k in inputs}, outputs_def=outputs_def,
                   package_name="pkg", spawn_key=spawn_key, package_dir=package_dir)
    session = SessionFields(session_id="session-1", session_dir=str(folder / "session"),
                            tmp_dir=str(folder / "tmp"), tmp_pkg_dir=str(folder / "tmp" / "pkg"),
                            pkg_dir=str(folder / "pkg_data"), env=env or {})
    n = next(_ids)  # each job a run of its own ("job<n>-"), unless its id says otherwise
    return spec.job(job_id or f"job{n}-{n}",
                    [{"flow_job_id": "flow-1", "flow": "flow.oo.yaml", "node_id": node_id}],
                    inputs, session=session)


def with_pool(scenario: Callable[[WorkerPool], Awaitable[Any]], **pool_options: Any) -> Any:
    """Run ``scenario(pool)`` on a fresh pool in a fresh event loop; always close the pool."""

    async def main() -> Any:
        pool = WorkerPool(**pool_options)
        try:
            return await scenario(pool)
        finally:
            await pool.close()

    return asyncio.run(main())


def run_job(job: Job, recorder: Recorder | None = None,
            **pool_options: Any) -> tuple[Outcome, Recorder]:
    """Run one job on a fresh pool."""
    recorder = recorder or Recorder()

    async def scenario(pool: WorkerPool) -> Outcome:
        return await pool.run(job, recorder)

    return with_pool(scenario, **pool_options), recorder


async def eventually(check: Callable[[], bool], timeout: float = 2.0) -> bool:
    """Wait for messages that follow a job's end (late output of its threads, warnings)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check() and loop.time() < deadline:
        await asyncio.sleep(0.01)
    return check()


def run_block(folder: Path, code: str, **job_options: Any) -> tuple[Outcome, Recorder]:
    return run_job(make_job(folder, code, **job_options))


def pid_alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0); it is dead for our purposes once reaped by its parent
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False
