"""``ShellExecutor``: oocana's shell blocks (``executor: shell``).

A job's inputs are ``command`` (run with ``sh -c``), ``cwd`` (relative to the block's
folder; default that folder) and ``envs`` (``"K=V,K2=V2"``). Each line the command writes
is a ``BlockLog``; at exit the job finishes with outputs ``stdout`` and ``stderr`` (the
whole text of each) when the exit code is 0, else with an error naming the code.
The command runs in its own process group, killed when the job is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any

from ..states import OutcomeStatus
from ..wire import names
from .base import Executor, Job, JobHandler, Outcome
from .prelaunch import kill_group

__all__ = ["ShellExecutor", "parse_envs"]


def parse_envs(envs: Any) -> dict[str, str]:
    """``"K=V,K2=V2"`` (or a dict) as a mapping; items without ``=`` are ignored."""
    if isinstance(envs, dict):
        return {str(k): str(v) for k, v in envs.items()}
    out: dict[str, str] = {}
    for item in str(envs or "").split(","):
        key, sep, value = item.partition("=")
        if sep and key.strip():
            out[key.strip()] = value
    return out


class ShellExecutor(Executor):
    def __init__(self, env: dict[str, str] | None = None):
        self.env = dict(env or {})
        self._procs: set[asyncio.subprocess.Process] = set()

    async def _run(self, job: Job, handler: JobHandler) -> Outcome:
        handler.on_start(False)
        command = job.inputs.get("command")
        if not isinstance(command, str) or not command.strip():
            return Outcome(OutcomeStatus.FAILED, error="a shell block needs a non-empty 'command' input")
        cwd = os.path.join(job.spec.dir, str(job.inputs.get("cwd") or "."))
        if not os.path.isdir(cwd):
            return Outcome(OutcomeStatus.FAILED, error=f"cwd {cwd!r} is not a folder")
        env = {**os.environ, **self.env, **job.session.env, **parse_envs(job.inputs.get("envs")),
               "OOCANA_SESSION_ID": job.session_id, "OOCANA_JOB_ID": job.job_id}
        proc = await asyncio.create_subprocess_exec(
            "sh", "-c", command, cwd=cwd, env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            start_new_session=True)
        self._procs.add(proc)
        texts: dict[str, list[str]] = {"stdout": [], "stderr": []}

        async def pump(stream: asyncio.StreamReader | None, stdio: str) -> None:
            assert stream is not None
            while line := await stream.readline():
                text = line.decode("utf-8", "replace")
                texts[stdio].append(text)
                handler.on_event({"type": names.BLOCK_LOG, "job_id": job.job_id,
                                    "log": text.rstrip("\n"), "stdio": stdio})

        try:
            await asyncio.gather(pump(proc.stdout, "stdout"), pump(proc.stderr, "stderr"))
            code = await proc.wait()
        except asyncio.CancelledError:
            kill_group(proc.pid)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(proc.wait(), 5.0)
            raise
        finally:
            self._procs.discard(proc)
        if code != 0:
            reason = (f"killed by signal {-code}" if code < 0 else f"exit code {code}")
            tail = "".join(texts["stderr"]).strip().splitlines()[-5:]
            return Outcome(OutcomeStatus.FAILED, error=f"shell command failed with {reason}"
                              + ("\n" + "\n".join(tail) if tail else ""))
        return Outcome(OutcomeStatus.DONE, result={"stdout": "".join(texts["stdout"]),
                                          "stderr": "".join(texts["stderr"])})

    async def close(self) -> None:
        for proc in list(self._procs):
            kill_group(proc.pid)
