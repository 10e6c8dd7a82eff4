"""What the views print: asserted on text, not on ANSI codes."""

from __future__ import annotations

import io
import time

import pytest
from rich.console import Console

from oocana_local.mainframe.bus import Bus
from oocana_local.mainframe.messages import SessionReporter
from oocana_local.mainframe.view import (
    LiveView,
    PlainView,
    RunState,
    format_value,
    render_state,
    render_summary,
)

FLOW = "/pkg/flows/demo/flow.oo.yaml"
TRACEBACK = "Traceback (most recent call last):\n  File \"main.py\", line 3\nValueError: boom\n"


def console(width: int = 100) -> Console:
    return Console(width=width, force_terminal=False, color_system=None, record=True,
                   file=io.StringIO())


def text_of(*renderables) -> str:
    out = console()
    for renderable in renderables:
        out.print(renderable)
    return out.export_text()


def at(node_id: str) -> list[dict[str, str]]:
    return [{"flow_job_id": "f0", "flow": FLOW, "node_id": node_id}]


def run(session: SessionReporter, clock, node_id: str, job_id: str, *, seconds: float = 0.5,
        error: str | None = None, status: str = "done") -> None:
    block = session.block(job_id, None, at(node_id))
    block.started({})
    clock.advance(seconds)
    block.finished({} if error is None else None, error=error, status=status)


@pytest.fixture
def state(clock) -> RunState:
    return RunState(clock=clock)


@pytest.fixture
def session(state) -> SessionReporter:
    return SessionReporter(Bus([state.apply]), "s1", "flows/demo")


def test_table_shows_each_node_with_its_state(state, session, clock):
    flow = session.flow("f0", FLOW, [])
    flow.started({}, ["load", "loop", "[bold]odd", "plot"])
    run(session, clock, "load", "j0", seconds=1.25)
    for i in range(3):
        run(session, clock, "loop", f"j{i + 1}", seconds=0.5)
    block = session.block("j9", None, at("[bold]odd"))
    block.started({})
    block.progress(42)
    clock.advance(2)
    text = text_of(render_state(state))
    lines = {line.split()[1]: line for line in text.splitlines() if len(line.split()) > 1}
    assert "✓" in lines["load"] and "done" in lines["load"] and "1.25 s" in lines["load"]
    assert "×3" in lines["loop"] and "1.50 s" in lines["loop"]
    assert "42%" in lines["[bold]odd"] and "2.00 s" in lines["[bold]odd"]  # no markup
    assert "waiting" in lines["plot"]
    assert "2 done, 1 running, 1 waiting  4.75 s" in text


def test_many_nodes_collapse_into_a_summary_line(state, session, clock):
    ids = [f"n{i:03}" for i in range(200)]
    session.flow("f0", FLOW, []).started({}, ids)
    for i in range(180):
        run(session, clock, ids[i], f"j{i}", seconds=0)
    for i in range(180, 183):
        session.block(f"j{i}", None, at(ids[i])).started({})
    run(session, clock, ids[183], "j183", error=TRACEBACK, status="failed")
    run(session, clock, ids[184], "j184", error="Timeout", status="timeout")
    text = text_of(render_state(state, max_rows=30))
    shown = [line.split()[1] for line in text.splitlines()[:-2]]
    assert shown == ["n180", "n181", "n182", "n183", "n184"]
    assert "… 180 done, 15 waiting" in text
    assert len(text.splitlines()) == 7


def test_summary_of_a_successful_run(state, session, clock):
    session.started()
    flow = session.flow("f0", FLOW, [])
    flow.started({}, ["a", "b"])
    run(session, clock, "a", "j1", seconds=1.23)
    flow.output("answer", 42)
    flow.finished(None, outputs={"answer": 42, "table": {"rows": list(range(100))},
                                 "long": "x" * 1000},
                  not_run={"b": ["text", "count"]})
    session.finished()
    text = text_of(*render_summary(state))
    assert "answer = 42" in text
    assert "'rows': [0, 1, 2" in text and "+80" in text  # containers are cut
    assert "… (1000 chars)" in text and "x" * 201 not in text
    assert "1 node did not run" in text and "b  missing input: text, count" in text
    assert "fix: give the handle a value on the node" in text
    assert text.rstrip().endswith("completed in 1.23 s, but 1 node did not run")
    assert "error" not in text


def test_summary_of_a_failed_run_names_the_node_and_its_traceback(state, session, clock):
    session.started()
    flow = session.flow("f0", FLOW, [])
    flow.started({}, ["ok", "bad"])
    run(session, clock, "ok", "j1")
    run(session, clock, "bad", "j2", error=TRACEBACK, status="failed")
    flow.finished("[node id: bad] failed")
    session.finished("flow flows/demo failed.")
    text = text_of(*render_summary(state))
    assert "error: [node id: bad] failed" in text
    assert "node bad failed:" in text
    assert "  ValueError: boom" in text and 'File "main.py", line 3' in text
    assert text.rstrip().endswith("failed in 1.00 s")


def test_format_value():
    assert format_value("hi").plain == "'hi'"
    assert format_value(None).plain == "None"
    assert format_value(b"\x00").plain == "b'\\x00'"
    assert len(format_value(object()).plain) < 250
    nested = format_value({"a": {"b": list(range(5))}}, width=20).plain
    assert "\n" in nested  # pretty, across lines

    class Huge:
        def __repr__(self) -> str:
            return "y" * 10_000

    assert format_value(Huge()).plain.endswith("… (10000 chars)")


def test_plain_view_prints_one_line_per_event(clock):
    out = console()
    view = PlainView(out, clock=clock)
    session = SessionReporter(Bus([view]), "s1", "flows/demo")
    session.started()
    flow = session.flow("f0", FLOW, [])
    flow.started({}, ["a", "b"])
    block = session.block("j1", None, at("a"))
    block.started({})
    block.log("hello [red]world[/red]")
    block.log("\x1b[31mcoloured\x1b[0m", "stderr")
    block.warning("careful")
    block.error("not fatal")
    clock.advance(0.5)
    block.finished({"out": 1})
    run(session, clock, "a", "j2", seconds=0.25)
    run(session, clock, "b", "j3", error=TRACEBACK, status="failed")
    flow.finished("[node id: b] failed")
    session.finished("flow flows/demo failed.")
    view.stop()
    lines = out.export_text().splitlines()
    assert lines[:10] == [
        "flow /pkg/flows/demo/flow.oo.yaml started (session s1)",
        "a started",
        "a | hello [red]world[/red]",
        "a | coloured",
        "a warning: careful",
        "a error: not fatal",
        "a done in 0.50 s",
        "a started (run 2)",
        "a done in 0.25 s",
        "b started",
    ]
    assert lines[10] == "b failed in 0.50 s: ValueError: boom"
    assert lines[-1] == "failed in 1.25 s"


def test_live_view_on_a_pipe_is_plain(clock):
    out = console()
    view = LiveView(out, clock=clock)
    assert not view.is_live
    with view:
        view({"type": "BlockStarted", "session_id": "s", "job_id": "j", "stacks": at("a")})
        view({"type": "BlockFinished", "session_id": "s", "job_id": "j", "stacks": at("a"),
              "status": "done"})
    assert out.export_text().splitlines()[:2] == ["a started", "a done in 0.00 s"]


def terminal(height: int = 40) -> Console:
    return Console(width=100, height=height, force_terminal=True, color_system=None,
                   record=True, file=io.StringIO(), _environ={})


def test_live_view_prints_logs_above_and_the_summary_at_the_end():
    out = terminal()
    view = LiveView(out, refresh_per_second=50)
    assert view.is_live
    session = SessionReporter(Bus([view]), "s1", "flows/demo")
    with view:
        session.started()
        flow = session.flow("f0", FLOW, [])
        flow.started({}, ["a"])
        block = session.block("j1", None, at("a"))
        block.started({})
        block.log("hello")
        time.sleep(0.1)
        block.finished({})
        flow.finished(None, outputs={"out": 1})
        session.finished()
    text = out.export_text()
    assert "a | hello" in text
    assert "a started" not in text  # the table shows that, not a line
    assert "out = 1" in text
    assert "completed in" in text.splitlines()[-1]


def test_live_view_redraws_at_a_fixed_rate_however_many_messages():
    out = terminal()
    view = LiveView(out, refresh_per_second=20)
    view.start()
    view({"type": "BlockStarted", "session_id": "s", "job_id": "j", "stacks": at("a")})
    started = time.monotonic()
    for i in range(20_000):
        view({"type": "BlockProgress", "session_id": "s", "job_id": "j", "stacks": at("a"),
              "progress": i % 100})
    spent = time.monotonic() - started
    time.sleep(0.2)
    view.stop()
    frames = out.export_text().count("1 running")
    assert 1 <= frames <= (spent + 0.2) * 20 + 3


def test_a_flood_of_logs_is_cut_not_queued_forever():
    out = terminal()
    view = LiveView(out, max_pending=100)
    for i in range(1000):
        view({"type": "BlockLog", "session_id": "s", "job_id": "j", "stacks": at("a"),
              "log": f"line {i}", "stdio": "stdout"})
    view.stop()
    text = out.export_text()
    assert "… 900 lines not shown" in text
    assert "a | line 899" not in text and "a | line 900" in text and "a | line 999" in text
