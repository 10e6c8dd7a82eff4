"""Values a run sends while it runs, as the streaming protocols pick them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

__all__ = ["node_outputs", "OutputEvent"]

OutputEvent = tuple[str, str, Any]
"""``(node id, handle, value)`` of a node of the root flow."""


async def node_outputs(queue: asyncio.Queue[dict[str, Any] | None]
                       ) -> AsyncIterator[OutputEvent]:
    """Each output a node of the root flow sends, as it is sent (``context.output`` and
    returned values alike), until the run ends. ``queue`` is ``LiveRun.listen()``, taken
    when the run was submitted so that nothing is missed."""
    while True:
        message = await queue.get()
        if message is None:
            return
        stacks: list[dict[str, str]] = message.get("stacks") or []
        if len(stacks) != 1:
            continue
        node_id = stacks[0]["node_id"]
        type_ = message.get("type")
        if type_ == "BlockOutput":
            yield node_id, message.get("handle", ""), message.get("output")
        elif type_ in ("BlockOutputs", "BlockFinished"):  # returned values come as results
            values = message.get("outputs" if type_ == "BlockOutputs" else "result")
            for handle, value in (values or {}).items():
                yield node_id, handle, value
