"""Masking of secret values in anything that is recorded or shown.

One ``Redactor`` holds the secret values a worker resolved (or was told about) and
replaces each occurrence, in a string or anywhere inside a JSON-like value, by
``******``. Both sides use it: the worker masks what it sends, the engine's bus masks
every message before a subscriber (terminal, ``--json``, JSONL, previews, server) sees it.
Workers import this module: it imports nothing.
"""

from __future__ import annotations

TYPE_CHECKING = False  # workers import this: annotations only
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

__all__ = ["MASK", "Redactor"]

MASK = "******"
_MIN_LINE = 4  # lines of a multi-line secret shorter than this are too common to mask


class Redactor:
    """The secret values to hide; falsy while there are none."""

    __slots__ = ("values", "_parts")

    def __init__(self, values: Iterable[str] = ()):
        self.values: set[str] = set()
        self._parts: tuple[str, ...] = ()
        self.add(values)

    def __bool__(self) -> bool:
        return bool(self._parts)

    def add(self, values: Iterable[str]) -> None:
        """Hide these values too (and each line of a multi-line one)."""
        new = {v for v in values if isinstance(v, str) and v} - self.values
        if not new:
            return
        self.values |= new
        parts = set(self._parts) | new
        for value in new:
            parts.update(p for p in value.splitlines() if len(p) >= _MIN_LINE)
        # Longest first: a secret that contains another is masked whole.
        self._parts = tuple(sorted(parts, key=len, reverse=True))

    def clear(self) -> None:
        self.values = set()
        self._parts = ()

    def text(self, text: str) -> str:
        for part in self._parts:
            if part in text:
                text = text.replace(part, MASK)
        return text

    def value(self, value: Any) -> Any:
        """``value`` with every string inside it masked; unchanged parts are not copied."""
        if not self._parts:
            return value
        return self._walk(value)

    def _walk(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            changed = False
            pairs = []
            for key, item in value.items():
                new_key = self.text(key) if isinstance(key, str) else key
                new = self._walk(item)
                changed = changed or new is not item or new_key != key
                pairs.append((new_key, new))
            return dict(pairs) if changed else value
        if isinstance(value, (list, tuple)):
            items = [self._walk(item) for item in value]
            if all(a is b for a, b in zip(items, value, strict=True)):
                return value
            return items if isinstance(value, list) else tuple(items)
        return value

    def found_in(self, value: Any) -> list[str]:
        """The secret values that occur in some string inside ``value``."""
        if not self.values:
            return []
        found: set[str] = set()
        self._find(value, found)
        return sorted(found)

    def _find(self, value: Any, found: set[str]) -> None:
        if isinstance(value, str):
            found.update(s for s in self.values if s in value)
        elif isinstance(value, dict):
            for key, item in value.items():
                self._find(key, found)
                self._find(item, found)
        elif isinstance(value, (list, tuple)):
            for item in value:
                self._find(item, found)
