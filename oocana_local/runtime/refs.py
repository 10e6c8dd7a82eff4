"""Var values of a session are freed once nobody can use them any more.

A var value (a reference to an object kept in a worker) delivered to k node queues is held
k times; each hold ends when the job that took the value from the queue finished (its
outputs are routed by then). A value on a root flow output is held until the session
ends. A value with no hold left, or one nobody received (an output with no edge), is
freed at once: ``executor.free(keys)`` makes every worker holding it (or a copy) drop it.
At the end of the session everything it made is freed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Container, Iterable
from typing import TYPE_CHECKING, Any

from ..wire.values import is_var_ref, var_key

if TYPE_CHECKING:
    from ..executor.base import Executor

__all__ = ["ValueRefs"]


class ValueRefs:
    def __init__(self, executor: Executor):
        self.executor = executor
        self.holds: dict[str, int] = {}
        self.seen: set[str] = set()
        self._doomed: list[str] = []
        self._flush_handle: asyncio.Handle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.keep: Container[str] = ()
        """Keys never freed here: values the dev-mode node cache still replays (``cache.py``)."""

    def hold(self, value: Any) -> None:
        if is_var_ref(value):
            key = var_key(value)
            self.seen.add(key)
            self.holds[key] = self.holds.get(key, 0) + 1

    def produced(self, value: Any) -> None:
        """``value`` was just routed: free it if nobody received it."""
        if is_var_ref(value):
            key = var_key(value)
            self.seen.add(key)
            if not self.holds.get(key):
                self._free(key)

    def release(self, values: Iterable[Any]) -> None:
        """A job that took these values from its queues finished."""
        for value in values:
            if not is_var_ref(value):
                continue
            key = var_key(value)
            count = self.holds.get(key)
            if count is None:
                continue
            if count <= 1:
                del self.holds[key]
                self._free(key)
            else:
                self.holds[key] = count - 1

    def _free(self, key: str) -> None:
        if key in self.keep:
            return
        self._doomed.append(key)
        if self._flush_handle is None:
            self._flush_handle = asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_handle = None
        keys, self._doomed = self._doomed, []
        if keys:
            task = asyncio.get_running_loop().create_task(self.executor.free(keys))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def free_all(self) -> None:
        """The session is over: free every value it made."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        keys = sorted(k for k in self.seen | set(self._doomed) if k not in self.keep)
        self.seen.clear()
        self.holds.clear()
        self._doomed = []
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if keys:
            await self.executor.free(keys)
