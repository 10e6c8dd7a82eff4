"""Bus messages as the run page reads them, and runs recorded in events files.

The page folds the same messages the bus carries; only previews change on the way: a
markdown preview gets its HTML rendered here (markdown-it, raw HTML off), so the page
needs no markdown library and a report shows it without JavaScript help.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ...wire import names

__all__ = ["for_page", "read_events_file", "EventsFileError"]


class EventsFileError(ValueError):
    """Not a JSON Lines file of bus messages."""


def _markdown(text: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table").render(text)


def for_page(message: dict[str, Any]) -> dict[str, Any]:
    if message.get("type") != names.BLOCK_PREVIEW:
        return message
    payload = message.get("payload")
    if isinstance(payload, dict) and payload.get("type") == "markdown" \
            and isinstance(payload.get("data"), str):
        return {**message, "payload": {**payload, "html": _markdown(payload["data"])}}
    return message


def read_events_file(path: str | Path) -> list[dict[str, Any]]:
    """The messages of an ``oocana-local run --events`` file (a torn last line is
    skipped: the run may still be writing it)."""
    events = []
    with open(path, encoding="utf-8") as file:
        lines = file.read().splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            message = json.loads(line)
        except ValueError:
            if number == len(lines):
                break
            raise EventsFileError(f"{path}:{number}: not a JSON line") from None
        if not isinstance(message, dict) or "type" not in message:
            raise EventsFileError(f"{path}:{number}: not a bus message")
        events.append(message)
    if not events:
        raise EventsFileError(f"{path}: no events")
    return events
