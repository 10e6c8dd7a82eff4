"""The transport a ``Context`` writes to, and an in-memory one for tests.

A sink carries block messages (dicts with ``type`` and ``job_id``) to the engine:
``send`` fires and forgets, ``request`` / ``arequest`` send a ``BlockRequest`` and return
the engine's ``response`` message (``{"result": ...}`` or ``{"error": "..."}``), and
``watch`` delivers ``run_block_event`` payloads of one request to a callback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ..wire import names

__all__ = ["Sink", "RecordingSink"]

Message = dict[str, Any]


class Sink(Protocol):
    def send(self, message: Message) -> None: ...

    def request(self, message: Message) -> Message: ...

    async def arequest(self, message: Message) -> Message: ...

    def watch(self, request_id: str,
              on_event: Callable[[Message, dict[str, bytes] | None], None]) -> Callable[[], None]:
        """Call ``on_event(event, blobs)`` for each event of the request; returns an unwatch."""
        ...


class RecordingSink:
    """Keeps every message; answers requests with ``answer(message)`` (default: ``None``)."""

    def __init__(self, answer: Callable[[Message], Any] | None = None):
        self.messages: list[Message] = []
        self._answer = answer
        self._watchers: dict[str, Callable[[Message, dict[str, bytes] | None], None]] = {}

    def send(self, message: Message) -> None:
        self.messages.append(message)

    def request(self, message: Message) -> Message:
        self.messages.append(message)
        try:
            result = self._answer(message) if self._answer else None
        except Exception as exc:  # the engine answers failures with an error text
            return {"type": names.RESPONSE, "request_id": message["request_id"], "error": str(exc)}
        return {"type": names.RESPONSE, "request_id": message["request_id"], "result": result}

    async def arequest(self, message: Message) -> Message:
        return self.request(message)

    def watch(self, request_id: str,
              on_event: Callable[[Message, dict[str, bytes] | None], None]) -> Callable[[], None]:
        self._watchers[request_id] = on_event

        def unwatch() -> None:
            self._watchers.pop(request_id, None)

        return unwatch

    def emit(self, request_id: str, event: Message) -> None:
        """Test helper: deliver a ``run_block`` event as the engine would."""
        watcher = self._watchers.get(request_id)
        if watcher is not None:
            watcher(event, None)

    def of_type(self, type_: str) -> list[Message]:
        return [m for m in self.messages if m.get("type") == type_]
