"""The end-of-run summary, the same for the live and the plain view.

Final node table, flow outputs, the error with the failed node's traceback, the nodes
that did not run with their missing inputs, values nodes were left and never used, and
one last line: ``completed in 1.23 s``.
"""

from __future__ import annotations

from typing import Any

from rich.console import RenderableType
from rich.highlighter import ReprHighlighter
from rich.text import Text

from ...states import NodeState
from .render import format_duration, render_table
from .state import RunState

__all__ = ["render_summary", "format_value"]

_MAX_VALUE_CHARS = 200
_MAX_VALUE_LINES = 20
_MAX_TRACEBACK_LINES = 60
_MAX_NOT_RUN = 20
_highlight = ReprHighlighter()
_SCALARS = frozenset({int, float, bool, str, type(None)})
"""Types whose ``pretty_repr`` is their ``repr`` (a string: when not cut): most outputs
are, and importing ``rich.pretty`` costs a run ~25 ms (it imports ``attrs`` if there)."""


def render_summary(state: RunState, *, max_rows: int = 30,
                   width: int = 100) -> list[RenderableType]:
    """What to print once the run is over (or the view stopped), top to bottom."""
    parts: list[RenderableType] = []
    if state.nodes:
        parts.append(render_table(state, max_rows=max_rows, final=True))
    if state.outputs:
        parts.append(Text("outputs", style="bold"))
        for handle, value in state.outputs.items():
            line = Text("  ")
            line.append(str(handle), style="bold cyan")
            line.append(" = ")
            room = max(20, width - len(f"  {handle} = "))
            line.append_text(_indent(format_value(value, width=room), "    "))
            parts.append(_fit(line, width))
    if state.status == "failed":
        parts.extend(_error_parts(state))
    parts.extend(_not_run_parts(state))
    parts.extend(_unconsumed_parts(state))
    parts.append(_final_line(state))
    return parts


def format_value(value: Any, *, width: int = 80) -> Text:
    """A value shown to a user: short values inline, dicts and lists pretty-printed,
    everything cut to about 200 characters (or 20 lines for containers); a value that
    stayed in a worker as its description (``<DataFrame 2 rows × 3 columns>``)."""
    if isinstance(value, dict) and value.get("__OOMOL_TYPE__") == "oomol/var":
        return Text(f"<{value.get('description') or 'a value held by a worker'}>",
                    style="magenta")
    if isinstance(value, dict) and value.get("__OOMOL_TYPE__") == "oomol/bin":
        return Text(f"<bytes in {value.get('value')}>", style="magenta")
    if isinstance(value, str) and len(value) > min(_MAX_VALUE_CHARS, width - 2):
        suffix = f"… ({len(value)} chars)"
        keep = max(8, min(_MAX_VALUE_CHARS, width - len(suffix) - 2))
        return _highlight(Text(f"{value[:keep]!r}{suffix}"))
    container = isinstance(value, (dict, list, tuple, set, frozenset))
    try:
        if type(value) in _SCALARS and not (isinstance(value, str)
                                            and len(value) > _MAX_VALUE_CHARS):
            text = repr(value)
        else:
            from rich.pretty import pretty_repr

            text = pretty_repr(value, max_width=width, max_length=_MAX_VALUE_LINES,
                               max_string=_MAX_VALUE_CHARS, max_depth=4)
    except Exception:  # a broken __repr__ must not break the summary
        text = f"<{type(value).__name__} object>"
    if container:
        lines = text.splitlines()
        if len(lines) > _MAX_VALUE_LINES:
            text = "\n".join([*lines[:_MAX_VALUE_LINES], f"… ({len(lines)} lines)"])
    elif len(text) > _MAX_VALUE_CHARS:
        text = f"{text[:_MAX_VALUE_CHARS]}… ({len(text)} chars)"
    return _highlight(Text(text))


def _error_parts(state: RunState) -> list[RenderableType]:
    parts: list[RenderableType] = [Text(f"error: {state.error or 'the flow failed'}",
                                        style="bold red")]
    node = state.failed_node
    if node is not None:
        head = Text("node ")
        head.append(node.label, style="bold")
        head.append(f" {node.status}" + (":" if node.error else ""))
        parts.append(head)
        if node.error:
            lines = node.error.rstrip("\n").splitlines()
            if len(lines) > _MAX_TRACEBACK_LINES:
                skipped = len(lines) - _MAX_TRACEBACK_LINES
                lines = [f"… {skipped} lines", *lines[-_MAX_TRACEBACK_LINES:]]
            parts.append(Text("\n".join("  " + line for line in lines), style="red"))
    return parts


NOT_RUN_FIX = ("  fix: give the handle a value on the node, e.g.\n"
               "    inputs_from: [{handle: NAME, value: ...}]\n"
               "  or connect it to an output. Inside a flow a node does\n"
               "  not take the block's default value (as in oocana).")


def _not_run_nodes(state: RunState) -> list[Any]:
    return [n for n in state.iter_nodes() if n.status is NodeState.NOT_RUN]


def _not_run_parts(state: RunState) -> list[RenderableType]:
    nodes = _not_run_nodes(state)
    if not nodes:
        return []
    count = f"{len(nodes)} node{'s' if len(nodes) > 1 else ''}"
    if state.status != "done":  # most likely behind the failure: no advice to mislead
        parts: list[RenderableType] = [Text(f"{count} did not run", style="bold yellow")]
        for node in nodes[:_MAX_NOT_RUN]:
            parts.append(Text(f"  {node.label}" + (f"  missing input: {', '.join(node.missing)}"
                                                   if node.missing else ""), style="dim"))
        return parts
    parts = [
        Text(f"⚠ {count} did not run: an input had no value", style="bold yellow")]
    for node in nodes[:_MAX_NOT_RUN]:
        line = Text("  ")
        line.append(node.label, style="bold")
        if node.missing:
            line.append(f"  missing input: {', '.join(node.missing)}", style="yellow")
        parts.append(line)
    if len(nodes) > _MAX_NOT_RUN:
        parts.append(Text(f"  … and {len(nodes) - _MAX_NOT_RUN} more", style="dim"))
    parts.append(Text(NOT_RUN_FIX, style="yellow"))
    return parts


def _unconsumed_parts(state: RunState) -> list[RenderableType]:
    if not state.unconsumed or state.status != "done":
        return []
    total = sum(sum(by_handle.values()) for by_handle in state.unconsumed.values())
    parts: list[RenderableType] = [
        Text(f"⚠ {total} value{'s' if total > 1 else ''} waited and never ran: the "
             "node's other inputs got no more values", style="bold yellow")]
    for node_id, by_handle in list(state.unconsumed.items())[:_MAX_NOT_RUN]:
        line = Text("  ")
        line.append(node_id, style="bold")
        line.append("  " + ", ".join(f"{n} on {h}" for h, n in by_handle.items()),
                    style="yellow")
        parts.append(line)
    return parts


def _final_line(state: RunState) -> Text:
    elapsed = format_duration(state.elapsed)
    if state.status == "done":
        not_run = len(_not_run_nodes(state))
        if not_run:
            return Text(f"completed in {elapsed}, but {not_run} node"
                        f"{'s' if not_run > 1 else ''} did not run", style="bold yellow")
        return Text(f"completed in {elapsed}", style="bold green")
    if state.status == "failed":
        return Text(f"failed in {elapsed}", style="bold red")
    if state.status == "cancelled":
        return Text(f"cancelled after {elapsed}", style="bold yellow")
    return Text(f"stopped after {elapsed}", style="bold yellow")


def _fit(text: Text, width: int) -> Text:
    """Each line cut to ``width`` columns with an ellipsis: printed as is (not re-wrapped),
    a longer line would fold into a stray line in the terminal."""
    lines = text.split("\n")
    if all(line.cell_len <= width for line in lines):
        return text
    for line in lines:
        line.truncate(width, overflow="ellipsis")
    return Text("\n").join(lines)


def _indent(text: Text, prefix: str) -> Text:
    if "\n" not in text.plain:
        return text
    return Text("\n" + prefix).join(text.split("\n"))
