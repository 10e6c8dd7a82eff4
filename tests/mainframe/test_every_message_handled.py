"""Every message type on the bus is understood by every standard subscriber."""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass

import pytest
from rich.console import Console

from oocana_local.mainframe.bus import Bus
from oocana_local.mainframe.messages import MESSAGE_TYPES, SessionReporter
from oocana_local.mainframe.recorder import EventList, JsonlRecorder
from oocana_local.mainframe.view import LiveView, PlainView, RunState

FLOW = "/pkg/flows/demo/flow.oo.yaml"
SUBFLOW = "/pkg/subflows/inner/subflow.oo.yaml"


@dataclass
class Point:
    x: float
    y: float


class Opaque:
    def __repr__(self) -> str:
        return "<Opaque>"


def representative_messages() -> list[dict]:
    """One run that publishes every message type, through the real reporters."""
    events = EventList()
    session = SessionReporter(Bus([events]), "s1", "flows/demo", partial=True)
    root = [{"flow_job_id": "f0", "flow": FLOW, "node_id": "a"}]
    sub = [{"flow_job_id": "f0", "flow": FLOW, "node_id": "sub"}]
    inner = [*sub, {"flow_job_id": "f1", "flow": SUBFLOW, "node_id": "inner"}]

    session.started()
    flow = session.flow("f0", FLOW, [])
    flow.started({}, ["a", "sub", "c"])
    flow.nodes_will_run(["a"], ["sub"], ["c"])
    block = session.block("j1", "/pkg/blocks/a/block.oo.yaml", root)
    block.started({"n": 1, "blob": b"\x00\x01"})
    block.progress(50)
    block.log("hello", "stdout")
    block.log("oops", "stderr")
    block.log_json({"k": [1, 2]})
    block.warning("careful")
    block.error("not fatal")
    block.message({"any": "thing"})
    block.preview({"type": "text", "data": "hi"})
    block.output("out", float("nan"))
    block.outputs({"out": {1, 2}, "point": Point(1.0, math.inf), "obj": Opaque()})
    block.finished({"out": b"bytes"})
    subflow = session.flow("f1", SUBFLOW, sub)
    subflow.started({"x": 1}, ["inner"])
    inner_block = session.block("j2", None, inner)
    inner_block.started({})
    inner_block.finished(error="Traceback (most recent call last):\nValueError: boom\n",
                         status="failed")
    subflow.progress(40)
    slot = [*sub, {"flow_job_id": "f1", "flow": SUBFLOW, "node_id": "slot"}]
    slotflow = session.flow("f2", "/pkg/slotflows/s/slotflow.oo.yaml", slot, slotflow=True)
    slotflow.started({"x": 1}, ["inner"])
    slotflow.output("y", 1)
    slotflow.finished(None, not_run={})
    subflow.output("y", 2)
    subflow.finished("[node id: inner] failed", not_run={})
    flow.output("result", 3)
    flow.finished("[node id: sub] failed", outputs={"result": 3}, not_run={"c": ["in"]},
                  error_detail={"stack": []})
    session.finished("flow flows/demo failed.")
    return events.messages


MESSAGES = representative_messages()


def test_the_script_covers_every_message_type():
    assert {m["type"] for m in MESSAGES} == MESSAGE_TYPES


@pytest.mark.parametrize("message", MESSAGES, ids=[m["type"] for m in MESSAGES])
def test_recorder_writes_each_message_as_one_json_line(message):
    out = io.StringIO()
    JsonlRecorder(out)(message)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["type"] == message["type"]


@pytest.mark.parametrize("type_", sorted(MESSAGE_TYPES))
def test_bare_messages_do_not_break_the_subscribers(type_):
    # Only the fields every message has: optional fields must be optional.
    message = {"type": type_, "session_id": "s1"}
    state = RunState()
    state.apply(message)
    view = PlainView(Console(file=io.StringIO(), force_terminal=False))
    view(message)
    view.stop()
    JsonlRecorder(io.StringIO())(message)


def test_state_and_views_take_the_whole_run():
    state = RunState()
    for message in MESSAGES:
        state.apply(message)
    assert state.status == "failed"
    assert state.messages == len(MESSAGES)

    for view_class in (PlainView, LiveView):
        console = Console(width=100, force_terminal=False, color_system=None, record=True,
                          file=io.StringIO())
        view = view_class(console)
        bus = Bus([view])
        for message in MESSAGES:
            bus.publish(message)
        view.stop()
        assert bus._subscribers == [view]  # never raised, so never removed
        text = console.export_text()
        assert "a | hello" in text
        assert "a warning: careful" in text
        assert "a error: not fatal" in text
        assert "sub/inner failed" in text
        assert "ValueError: boom" in text
        assert "failed in" in text


def test_recorder_writes_the_whole_run(tmp_path):
    path = tmp_path / "run.jsonl"
    with JsonlRecorder(path) as recorder:
        for message in MESSAGES:
            recorder(message)
    lines = path.read_text("utf-8").splitlines()
    assert [json.loads(line)["type"] for line in lines] == [m["type"] for m in MESSAGES]
