"""Where each var value of the pool lives: one index instead of three.

A value (``wire/values.py``: a var reference's key) is held by the worker that made it
and by every worker a copy was sent to; a value whose last holder retired is kept as
its pickle (``parked``) until it is freed. The pool asks: which worker should send a
copy, what does this worker hold, what would be lost with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Generic, Protocol, TypeVar

__all__ = ["ValueIndex", "Holder"]


class Holder(Protocol):
    """A worker (or actor) as the index sees it."""

    @property
    def alive(self) -> bool: ...

    def send(self, message: Any) -> bool: ...


W = TypeVar("W", bound=Holder)


class ValueIndex(Generic[W]):
    def __init__(self) -> None:
        self._maker: dict[str, W] = {}
        self._held: dict[W, set[str]] = {}
        self.parked: dict[str, bytes] = {}
        """Pickled values of retired workers (their only copy)."""

    # -- what is where --------------------------------------------------------------------

    def keys(self) -> set[str]:
        """Every key some worker holds or that is parked."""
        found = set(self.parked)
        for held in self._held.values():
            found.update(held)
        return found

    def keys_of(self, worker: W) -> set[str]:
        return self._held.get(worker) or set()

    def count_held(self, worker: W, keys: Iterable[str]) -> int:
        held = self._held.get(worker)
        return 0 if not held else sum(1 for k in keys if k in held)

    def missing_on(self, worker: W, keys: Iterable[str]) -> list[str]:
        held = self._held.get(worker) or ()
        return [k for k in keys if k not in held]

    def holder(self, key: str, exclude: W | None = None) -> W | None:
        """A live worker that holds ``key`` (its maker first), other than ``exclude``."""
        maker = self._maker.get(key)
        if maker is not None and maker is not exclude and maker.alive:
            return maker
        for worker, held in self._held.items():
            if worker is not exclude and key in held and worker.alive:
                return worker
        return None

    def available(self, keys: Iterable[str]) -> bool:
        """Whether every one of ``keys`` is held by a live worker or parked."""
        return all(k in self.parked or self.holder(k) is not None for k in keys)

    def only_on(self, worker: W) -> list[str]:
        """Keys no other worker holds (lost if ``worker`` exits unless parked)."""
        return [k for k in self.keys_of(worker)
                if not any(k in held for w, held in self._held.items() if w is not worker)]

    # -- changes --------------------------------------------------------------------------

    def made(self, worker: W, keys: Iterable[str]) -> None:
        """``worker`` produced these values (it is asked first for copies)."""
        held = self._held.setdefault(worker, set())
        for key in keys:
            held.add(key)
            self._maker[key] = worker

    def copied(self, worker: W, keys: Iterable[str]) -> None:
        """``worker`` received copies of these values."""
        self._held.setdefault(worker, set()).update(keys)

    def forget(self, keys: Iterable[str]) -> tuple[dict[W, list[str]], list[bytes]]:
        """Drop ``keys`` everywhere: the workers to tell, and the parked pickles dropped."""
        by_worker: dict[W, list[str]] = {}
        dropped: list[bytes] = []
        for key in keys:
            self._maker.pop(key, None)
            parked = self.parked.pop(key, None)
            if parked is not None:
                dropped.append(parked)
            for worker, held in self._held.items():
                if key in held:
                    held.discard(key)
                    by_worker.setdefault(worker, []).append(key)
        return by_worker, dropped

    def drop_worker(self, worker: W) -> None:
        """``worker`` exited: what it held is gone with it (copies elsewhere remain)."""
        for key in self._held.pop(worker, set()):
            if self._maker.get(key) is worker:
                other = next((w for w, held in self._held.items() if key in held), None)
                if other is None:
                    del self._maker[key]
                else:
                    self._maker[key] = other

    def clear(self) -> None:
        self._maker.clear()
        self._held.clear()
        self.parked.clear()
