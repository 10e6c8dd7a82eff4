"""``oocana-local view EVENTS_FILE`` and the ``--report`` of ``oocana-local run``: a run
page as one self-contained HTML file (no server, no network)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_view_parser", "view_command", "write_run_report"]


def add_view_parser(commands: Any) -> None:
    view = commands.add_parser(
        "view", help="show a run recorded with `run --events` in the browser",
        description="Render an events file of `oocana-local run --events` as the web view's "
                    "run page (graph, node states, logs, previews) in one self-contained "
                    "HTML file, and open it in the browser.")
    view.add_argument("events", type=Path, metavar="EVENTS_FILE")
    view.add_argument("-o", "--output", type=Path, default=None, metavar="FILE.html",
                      help="where to write the page (default: a temporary file)")
    view.add_argument("--no-open", action="store_true",
                      help="only write the page; print its path")


def view_command(args: argparse.Namespace) -> int:
    from ...engine import Engine
    from .events import EventsFileError, read_events_file
    from .recorded import load_target, write_report

    try:
        events = read_events_file(args.events)
    except (OSError, EventsFileError) as exc:
        print(f"oocana-local: cannot read {args.events}: {exc}", file=sys.stderr)
        return 2
    with Engine() as engine:
        target = load_target(events, engine.load)
    output = args.output
    if output is None:
        from ...paths import own_tmp_root

        folder = own_tmp_root() / "views"
        output = folder / f"{args.events.stem}.html"
    path = write_report(output, events, target=target)
    print(f"run page: {path}")
    if not args.no_open:
        import webbrowser

        webbrowser.open(path.resolve().as_uri())
    return 0


def write_run_report(path: Path, events: list[dict[str, Any]], target: Any) -> str | None:
    """Write ``run --report``; the problem as a sentence when it cannot be written."""
    from .recorded import write_report

    name = getattr(target, "path", None)
    try:
        write_report(path, events, target=target,
                     name=Path(name).parent.name if name else "")
    except OSError as exc:
        return f"cannot write the report to {path}: {exc}"
    return None
