"""What the executors over worker processes (``WorkerPool``, ``NodePool``) share: where
their workers' values live, the idle timer that retires a worker, how a worker's exit
ends its runs, and that no worker process outlives the engine (a finalizer kills their
process groups when the engine exits without closing the executor)."""

from __future__ import annotations

import abc
import asyncio
import contextlib
import os
import signal
import weakref
from collections.abc import Iterable
from typing import TypeVar

from ..wire import names
from .lifecycle import Adapter
from .process import WorkerProcess, describe_exit

__all__ = ["ProcessExecutor", "kill_groups", "stop_processes"]

W = TypeVar("W", bound=WorkerProcess)


class ProcessExecutor(Adapter[W]):
    idle_timeout: float

    def __init__(self) -> None:
        super().__init__()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pids: set[int] = set()
        self._closing = False
        self._finalizer = weakref.finalize(self, kill_groups, self._pids)

    @property
    @abc.abstractmethod
    def workers(self) -> list[W]:
        """Every live worker."""

    @property
    def _closed(self) -> str:
        return f"the {self.label} worker pool was closed"

    async def free(self, keys: list[str]) -> None:
        self._forget_values(keys)

    def _forget_values(self, keys: list[str]) -> list[bytes]:
        """Tell the workers holding ``keys`` to drop them; the parked pickles dropped."""
        by_worker, dropped = self.values.forget(keys)
        for worker, held in by_worker.items():
            worker.send({"type": names.FREE, "keys": held})
        return dropped

    async def close(self) -> None:
        self._closing = True
        self.runs.close(self._closed)
        workers = self.workers
        await stop_processes(workers)
        for worker in workers:
            self._cancel_idle_timer(worker)
        self._finalizer()
        self.values.clear()

    # -- the end of a worker ------------------------------------------------------------------

    def _exited(self, worker: W, returncode: int, prefix: str = "") -> None:
        """``worker`` exited: its values went with it, its runs end ``crashed`` with why."""
        self._pids.discard(worker.pid)
        self._cancel_idle_timer(worker)
        self.values.drop_worker(worker)
        if worker.protocol_error is not None:
            self.runs.crash(worker, worker.protocol_error)
        else:
            self.runs.crash(worker, prefix + describe_exit(returncode), worker.stderr_tail)

    def _idle_timer(self, worker: W) -> None:
        """``_retire_if_idle`` in ``idle_timeout`` seconds, unless it is busy again."""
        self._cancel_idle_timer(worker)
        worker.idle_timer = self._loop.call_later(  # type: ignore[union-attr]
            self.idle_timeout, self._retire_if_idle, worker)

    @staticmethod
    def _cancel_idle_timer(worker: W) -> None:
        if worker.idle_timer is not None:
            worker.idle_timer.cancel()
            worker.idle_timer = None

    @abc.abstractmethod
    def _retire_if_idle(self, worker: W) -> None:
        """The idle timer of ``worker`` fired."""


async def stop_processes(processes: Iterable[WorkerProcess], timeout: float = 1.0) -> None:
    """Kill worker processes (their process groups) and wait for them, boundedly."""
    processes = list(processes)
    for process in processes:
        process.kill()
    exits = [p.exited for p in processes if not p.exited.done()]
    if exits:
        await asyncio.wait(exits, timeout=timeout)


def kill_groups(pids: set[int]) -> None:
    """Finalizer of a pool: no worker outlives the engine."""
    for pid in list(pids):
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
