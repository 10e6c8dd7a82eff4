"""The Context's sink inside a worker: messages go out on the channel, responses and
``run_block`` events come back through the reader thread."""

from __future__ import annotations

import threading

TYPE_CHECKING = False  # typing costs a fresh worker milliseconds: annotations only
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .channel import Channel

    Message = dict[str, Any]
    EventCallback = Callable[[Message, dict[str, bytes] | None], None]

__all__ = ["SocketSink"]


class SocketSink:
    def __init__(self, channel: Channel):
        self._channel = channel
        self._waiters: dict[str, Callable[[Message], None]] = {}
        self._watchers: dict[str, EventCallback] = {}

    def send(self, message: Message) -> None:
        self._channel.send(message)

    def request(self, message: Message) -> Message:
        """Send a ``BlockRequest`` and block this thread until its response."""
        request_id = message["request_id"]
        box: list[Message] = []
        done = threading.Event()

        def deliver(response: Message) -> None:
            box.append(response)
            done.set()

        self._waiters[request_id] = deliver
        try:
            self.send(message)
            done.wait()
        finally:
            self._waiters.pop(request_id, None)
        return box[0]

    async def arequest(self, message: Message) -> Message:
        """Send a ``BlockRequest`` and await its response on the running loop."""
        import asyncio

        loop = asyncio.get_running_loop()
        future: asyncio.Future[Message] = loop.create_future()

        def settle(response: Message) -> None:
            if not future.done():
                future.set_result(response)

        def deliver(response: Message) -> None:
            loop.call_soon_threadsafe(settle, response)

        request_id = message["request_id"]
        self._waiters[request_id] = deliver
        try:
            self.send(message)
            return await future
        finally:
            self._waiters.pop(request_id, None)

    def watch(self, request_id: str, on_event: EventCallback) -> Callable[[], None]:
        self._watchers[request_id] = on_event

        def unwatch() -> None:
            self._watchers.pop(request_id, None)

        return unwatch

    # Called by the reader thread.

    def deliver_response(self, message: Message) -> None:
        waiter = self._waiters.pop(message.get("request_id") or "", None)
        if waiter is not None:
            try:
                waiter(message)
            except RuntimeError:  # the waiting loop is closed: nobody waits any more
                pass

    def deliver_event(self, message: Message) -> None:
        watcher = self._watchers.get(message.get("request_id") or "")
        if watcher is not None:
            try:
                watcher(message.get("event") or {}, message.get("blobs"))
            except RuntimeError:
                self._watchers.pop(message.get("request_id") or "", None)
