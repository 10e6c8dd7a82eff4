"""``context.run_block`` returns a ``BlockJob``: callbacks for its outputs and progress, and
a future that resolves when it finishes (or fails with ``BlockExecuteException``)."""

from __future__ import annotations

from ..wire import names

TYPE_CHECKING = False  # typing and asyncio cost a fresh worker milliseconds: annotations only
if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable
    from typing import Any

__all__ = ["BlockJob", "BlockExecuteException"]


class BlockExecuteException(Exception):
    def __str__(self) -> str:
        return f"BlockExecuteException: {super().__str__()}"


class BlockJob:
    """A block started by ``context.run_block``. Callbacks run on the block's event loop."""

    def __init__(self, block: str, job_id: str, loop: asyncio.AbstractEventLoop,
                 decode: Callable[[Any, dict[str, bytes] | None], Any]):
        self.block = block
        self.job_id = job_id
        self._loop = loop
        self._decode = decode
        self._future: asyncio.Future[None] = loop.create_future()
        self._output_callbacks: list[Callable[[dict[str, Any]], None]] = []
        self._progress_callbacks: list[Callable[[float | int], None]] = []
        self._request_task: asyncio.Task[None] | None = None  # keeps the request alive

    def add_output_callback(self, fn: Callable[[dict[str, Any]], None]) -> None:
        self._output_callbacks.append(fn)

    def add_progress_callback(self, fn: Callable[[float | int], None]) -> None:
        self._progress_callbacks.append(fn)

    def finish(self) -> asyncio.Future[None]:
        """Resolves when the block finished; raises ``BlockExecuteException`` if it failed."""
        return self._future

    def _outputs(self, outputs: dict[str, Any]) -> None:
        for fn in list(self._output_callbacks):
            fn(outputs)

    def _progress(self, progress: float | int) -> None:
        for fn in list(self._progress_callbacks):
            fn(progress)

    def _on_event(self, event: dict[str, Any], blobs: dict[str, bytes] | None) -> None:
        """One event of the job (``BlockOutput``, ``BlockProgress``, ...), on the loop."""
        if self._future.done():
            return
        type_ = event.get("type")
        if type_ in (names.BLOCK_OUTPUT, names.SUBFLOW_OUTPUT):
            self._outputs({event["handle"]: self._decode(event.get("output"), blobs)})
        elif type_ == names.BLOCK_OUTPUTS:
            outputs = event.get("outputs") or {}
            self._outputs({k: self._decode(v, blobs) for k, v in outputs.items()})
        elif type_ == names.BLOCK_PROGRESS:
            self._progress(event.get("progress") or 0)
        elif type_ in (names.BLOCK_FINISHED, names.SUBFLOW_FINISHED):
            result = event.get("result")
            if result:
                self._outputs({k: self._decode(v, blobs) for k, v in result.items()})
            error = event.get("error")
            if error:
                self._fail(error)
            else:
                self._progress(100)
                self._future.set_result(None)

    def _fail(self, error: str) -> None:
        if not self._future.done():
            self._future.set_exception(
                BlockExecuteException(f"run block {self.block} failed: {error}"))
