"""The terminal view of a run: a state model folded from bus messages, and its drawings.

``LiveView`` is what the CLI subscribes (it falls back to ``PlainView`` behaviour when
the console is not a terminal); ``RunState`` is usable on its own, without a terminal.
"""

from __future__ import annotations

from .live import LiveView
from .plain import PlainView
from .render import render_state, render_table
from .state import NodeView, RunState
from .summary import format_value, render_summary

__all__ = ["LiveView", "PlainView", "RunState", "NodeView", "render_state", "render_table",
           "render_summary", "format_value"]
