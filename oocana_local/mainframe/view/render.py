"""Draw a ``RunState``: a compact table of nodes and a footer line.

Called at the view's refresh rate (and once at the end), never per message, so walking
all nodes here is fine. Everything user-supplied goes into ``Text`` objects, never
through console markup, so a node id or log line like ``[bold]`` prints as written.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from ...states import NodeState
from .state import BAD_STATUSES, NodeView, RunState

__all__ = ["render_state", "render_table", "render_footer", "format_duration",
           "format_counts", "STATUS_ORDER"]

# status -> (symbol, style)
_LOOK: dict[str, tuple[str, str]] = {
    NodeState.WAITING: ("·", "dim"),
    NodeState.RUNNING: ("▶", "cyan"),
    NodeState.DONE: ("✓", "green"),
    NodeState.CACHED: ("↺", "blue"),
    NodeState.FAILED: ("✗", "bold red"),
    NodeState.TIMEOUT: ("⏱", "bold red"),
    NodeState.CRASHED: ("✗", "bold red"),
    NodeState.CANCELLED: ("⊘", "yellow"),
    NodeState.NOT_RUN: ("–", "dim"),
    NodeState.SKIPPED: ("–", "dim"),
}
_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
STATUS_ORDER = (NodeState.DONE, NodeState.CACHED, NodeState.RUNNING, NodeState.WAITING,
                NodeState.FAILED, NodeState.TIMEOUT, NodeState.CRASHED, NodeState.CANCELLED,
                NodeState.NOT_RUN, NodeState.SKIPPED)
"""The order statuses are counted in, in footers and summary lines."""

_LIVE_KEEP = BAD_STATUSES | {NodeState.RUNNING}
_FINAL_KEEP = BAD_STATUSES | {NodeState.CANCELLED}


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def format_counts(counts: dict[NodeState, int] | dict[str, int]) -> str:
    """``{"done": 180, "waiting": 15}`` -> ``"180 done, 15 waiting"`` (``not_run`` shows as
    ``not run``)."""
    known = [f"{counts[s]} {s.label}" for s in STATUS_ORDER if counts.get(s)]
    other = [f"{n} {s}" for s, n in counts.items() if s not in STATUS_ORDER and n]
    return ", ".join(known + other)


def render_state(state: RunState, *, max_rows: int = 30) -> RenderableType:
    """The live region: the node table, then the footer."""
    return Group(render_table(state, max_rows=max_rows), render_footer(state))


def render_table(state: RunState, *, max_rows: int = 30, final: bool = False) -> RenderableType:
    """One row per node; above ``max_rows`` nodes only running (live) or failed (final)
    ones get a row and the rest are counted in one summary line."""
    now = state.clock()
    nodes = list(state.iter_nodes())
    compact = len(nodes) > max_rows
    if compact:
        keep = _FINAL_KEEP if final else _LIVE_KEEP
        shown = [n for n in nodes if n.status in keep][:max_rows]
        shown_ids = {id(n) for n in shown}
        hidden: dict[str, int] = {}
        for n in nodes:
            if id(n) not in shown_ids:
                hidden[n.status] = hidden.get(n.status, 0) + 1
    else:
        shown, hidden = nodes, {}

    table = Table(box=None, show_header=False, show_edge=False, pad_edge=False,
                  padding=(0, 1), expand=False)
    table.add_column(no_wrap=True)                                   # symbol
    table.add_column(no_wrap=True, overflow="ellipsis", max_width=48)  # node
    table.add_column(no_wrap=True, justify="right")                  # runs
    table.add_column(no_wrap=True, overflow="ellipsis", max_width=48)  # bar / status
    table.add_column(no_wrap=True, justify="right")                  # time
    for node in shown:
        table.add_row(*_row(node, now, full_path=compact))
    if not hidden:
        return table
    rest = Text(("… " if shown else "") + format_counts(hidden), style="dim")
    return Group(table, rest) if shown else rest


def render_footer(state: RunState) -> Text:
    text = Text(format_counts(state.counts()) or "no nodes yet", style="dim")
    text.append(f"  {format_duration(state.elapsed)}", style="bold")
    return text


def _row(node: NodeView, now: float, *, full_path: bool) -> list[RenderableType]:
    symbol, style = _LOOK.get(node.status, ("?", ""))
    if node.status is NodeState.RUNNING:
        symbol = _SPINNER[int(now * 10) % len(_SPINNER)]
    name = node.label if full_path else "  " * node.depth + node.node_id
    runs = f"×{node.runs}" if node.runs > 1 else ""
    status: RenderableType
    if node.status is NodeState.RUNNING:
        started = node.started_at if node.started_at is not None else now
        if node.progress is None:
            status = ProgressBar(total=None, width=20, pulse=True, animation_time=now)
            time = format_duration(now - started)
        else:
            status = ProgressBar(total=100, completed=node.progress, width=20)
            time = f"{node.progress:3.0f}% {format_duration(now - started)}"
    else:
        status = Text(node.status.label, style=style)
        if node.missing:
            status.append(f" (missing {', '.join(node.missing)})", style="dim")
        time = format_duration(node.total_duration) if node.runs else ""
    return [Text(symbol, style=style), Text(name), Text(runs, style="dim"), status,
            Text(time, style="dim")]
