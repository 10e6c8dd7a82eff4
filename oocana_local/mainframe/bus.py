"""The local message bus: every event of a run goes through one ``Bus``.

Publishing calls each subscriber in order, in the engine's thread. Subscribers must be
quick (update a model, append to a file); anything slow belongs in a thread of its own.
A subscriber that raises is reported once on stderr and removed, so a broken view can
never fail a run. Every message is masked first: the secret values a block received
(``BlockSecrets``) and passed on appear in no record as they are.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from typing import Any

from ..redact import Redactor

__all__ = ["Bus", "Message", "Subscriber"]

Message = dict[str, Any]
Subscriber = Callable[[Message], None]


class Bus:
    __slots__ = ("_subscribers", "redactor")

    def __init__(self, subscribers: list[Subscriber] | None = None):
        self._subscribers: list[Subscriber] = list(subscribers or ())
        self.redactor = Redactor()
        """Secret values blocks received: no subscriber ever sees them."""

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Add a subscriber; returns a function that removes it."""
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

        return unsubscribe

    def publish(self, message: Message) -> None:
        if self.redactor:
            message = self.redactor.value(message)
        failed = None
        for subscriber in self._subscribers:
            try:
                subscriber(message)
            except Exception:
                print(f"oocana-local: subscriber {subscriber!r} failed and was removed:\n"
                      f"{traceback.format_exc()}", file=sys.stderr)
                failed = [*(failed or ()), subscriber]
        for subscriber in failed or ():
            self._subscribers.remove(subscriber)
