"""``oocana.mainframe``: oocana's MQTT client, which has nothing to connect to here.

In OOMOL's engine the executor talks to the engine over an MQTT broker through a
``Mainframe``. oocana-local has no broker: a block talks to the engine through its
``Context`` (``context.output``, ``context.report_progress``, ``context.run_block``, ...),
over the worker's own connection. The class exists so that code importing or annotating
with it loads; making one raises ``MainframeUnavailable``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Mainframe", "MainframeUnavailable"]

_WHY = ("oocana.Mainframe is the MQTT client of OOMOL's engine; oocana-local runs blocks "
        "without an MQTT broker, so there is nothing for it to connect to. A block talks "
        "to the engine through its Context (context.output, context.send_message, "
        "context.run_block, ...).")


class MainframeUnavailable(RuntimeError):
    """``oocana.Mainframe`` (or something that needs one) was used under oocana-local."""


class Mainframe:
    """oocana's MQTT client: cannot be made under oocana-local (there is no broker)."""

    def __init__(self, address: str, client_id: str | None = None, logger: Any = None):
        raise MainframeUnavailable(f"Mainframe({address!r}): {_WHY}")
