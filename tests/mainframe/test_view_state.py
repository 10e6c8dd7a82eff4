"""The run state model, from scripted message sequences (no terminal involved)."""

from __future__ import annotations

import pytest

from oocana_local.mainframe.bus import Bus
from oocana_local.mainframe.messages import SessionReporter
from oocana_local.mainframe.view import RunState

FLOW = "/pkg/flows/demo/flow.oo.yaml"
SUBFLOW = "/pkg/subflows/inner/subflow.oo.yaml"
TRACEBACK = "Traceback (most recent call last):\n  File \"main.py\", line 3\nValueError: boom\n"


def at(*node_ids: str) -> list[dict[str, str]]:
    """The stacks of a node: ``at("a")`` in the root flow, ``at("sub", "x")`` in a subflow."""
    flows = [FLOW] + [SUBFLOW] * (len(node_ids) - 1)
    return [{"flow_job_id": f"f{i}", "flow": flow, "node_id": node_id}
            for i, (flow, node_id) in enumerate(zip(flows, node_ids, strict=True))]


@pytest.fixture
def state(clock) -> RunState:
    return RunState(clock=clock)


@pytest.fixture
def session(state) -> SessionReporter:
    return SessionReporter(Bus([state.apply]), "s1", "flows/demo")


def test_fan_out_nodes_run_side_by_side(state, session, clock):
    session.started()
    flow = session.flow("f0", FLOW, [])
    flow.started({}, ["source", "left", "right"])
    assert [n.node_id for n in state.roots] == ["source", "left", "right"]
    assert state.status == "running" and state.session_id == "s1"

    source = session.block("j0", None, at("source"))
    source.started({})
    clock.advance(0.5)
    source.finished({"out": 1})
    left, right = session.block("j1", None, at("left")), session.block("j2", None, at("right"))
    left.started({"in": 1})
    right.started({"in": 1})
    left.progress(30)
    right.progress(80)
    assert state.node("left").status == state.node("right").status == "running"
    assert (state.node("left").progress, state.node("right").progress) == (30, 80)
    assert state.counts() == {"done": 1, "running": 2}

    clock.advance(1.0)
    left.finished({})
    clock.advance(1.0)
    right.finished({})
    flow.finished(None)
    assert state.node("source").last_duration == pytest.approx(0.5)
    assert state.node("left").last_duration == pytest.approx(1.0)
    assert state.node("right").last_duration == pytest.approx(2.0)
    assert state.node("left").progress is None
    assert state.status == "done" and state.elapsed == pytest.approx(2.5)


def test_a_node_that_runs_three_times(state, session, clock):
    session.flow("f0", FLOW, []).started({}, ["loop"])
    for i in range(3):
        block = session.block(f"j{i}", None, at("loop"))
        block.started({"i": i})
        assert state.node("loop").status == "running"
        clock.advance(0.25)
        block.finished({"out": i})
        assert state.node("loop").status == "done"
    node = state.node("loop")
    assert node.runs == 3
    assert node.total_duration == pytest.approx(0.75)
    assert node.last_duration == pytest.approx(0.25)


def test_concurrent_runs_of_one_node_keep_it_running(state, session, clock):
    first, second = session.block("j1", None, at("n")), session.block("j2", None, at("n"))
    first.started({})
    second.started({})
    first.finished({})
    assert state.node("n").status == "running" and state.node("n").active == 1
    second.finished({})
    assert state.node("n").status == "done" and state.node("n").runs == 2


def test_a_failed_node_fails_the_flow_and_cancels_the_rest(state, session, clock):
    session.started()
    flow = session.flow("f0", FLOW, [])
    flow.started({}, ["bad", "slow", "later"])
    slow = session.block("j1", None, at("slow"))
    slow.started({})
    slow.log("working", "stdout")
    bad = session.block("j2", None, at("bad"))
    bad.started({})
    bad.error("a non-fatal complaint")
    clock.advance(2.0)
    bad.finished(error=TRACEBACK, status="failed")
    flow.finished("[node id: bad] failed", not_run={"later": ["x"]})
    session.finished("flow flows/demo failed.")

    assert state.node("bad").status == "failed"
    assert state.node("bad").error == TRACEBACK
    assert state.failed_node is state.node("bad")
    assert state.node("slow").status == "cancelled"  # dropped, never finished
    assert state.node("later").status == "not_run"
    assert state.status == "failed"
    assert state.error == "[node id: bad] failed"  # the flow's error, not the session's
    assert state.error_detail is None
    assert list(state.block_errors) == [("bad", "a non-fatal complaint")]
    assert state.elapsed == pytest.approx(2.0)


@pytest.mark.parametrize("status", ["timeout", "crashed", "cancelled"])
def test_block_finished_status_is_kept(state, session, status):
    block = session.block("j1", None, at("n"))
    block.started({})
    block.finished(error="Timeout", status=status)
    assert state.node("n").status == status
    assert (state.failed_node is not None) == (status != "cancelled")


def test_not_run_nodes_get_their_missing_handles(state, session):
    flow = session.flow("f0", FLOW, [])
    flow.started({}, ["a", "b", "c"])
    block = session.block("j1", None, at("a"))
    block.started({})
    block.finished({})
    flow.finished(None, not_run={"b": ["x", "y"], "c": []})
    assert state.node("b").status == state.node("c").status == "not_run"
    assert state.node("b").missing == ["x", "y"]
    assert state.node("c").missing == []
    assert state.counts() == {"done": 1, "not_run": 2}
    assert state.status == "done"


def test_nested_subflow_nodes_live_under_their_subflow_node(state, session, clock):
    flow = session.flow("f0", FLOW, [])
    flow.started({}, ["first", "sub", "last"])
    subflow = session.flow("f1", SUBFLOW, at("sub"))
    subflow.started({"x": 1}, ["inner1", "inner2", "deep"])
    inner = session.block("j1", None, at("sub", "inner1"))
    inner.started({})
    subflow.progress(40)
    inner.progress(10)
    deep = session.flow("f2", SUBFLOW, at("sub", "deep"))
    deep.started({}, ["leaf"])
    leaf = session.block("j2", None, at("sub", "deep", "leaf"))
    leaf.started({})
    leaf.log("from the leaf")

    sub = state.node("sub")
    assert [n.node_id for n in sub.children] == ["inner1", "inner2", "deep"]
    assert [n.label for n in state.node("sub", "deep").children] == ["sub/deep/leaf"]
    assert sub.status == "running" and sub.progress == 40
    assert state.node("sub", "inner1").progress == 10
    assert state.node("sub", "deep", "leaf").depth == 2
    assert list(state.logs)[-1] == ("sub/deep/leaf", "from the leaf", "stdout")
    assert [n.label for n in state.iter_nodes()] == [
        "first", "sub", "sub/inner1", "sub/inner2", "sub/deep", "sub/deep/leaf", "last"]

    leaf.finished({})
    deep.finished(None)
    clock.advance(1)
    inner.finished({})
    subflow.output("y", 5)
    subflow.finished(None, not_run={"inner2": ["z"]})
    assert sub.status == "done" and sub.runs == 1
    assert state.node("sub", "inner2").status == "not_run"
    assert state.node("sub", "inner2").missing == ["z"]
    assert state.outputs == {}  # subflow outputs are not flow outputs


def test_nodes_seen_only_in_messages_are_added(state, session):
    # No FlowStarted.nodes (e.g. a reporter from oocana): nodes appear as they start.
    block = session.block("j1", None, at("sub", "x"))
    block.started({})
    assert [n.label for n in state.iter_nodes()] == ["sub", "sub/x"]


def test_flow_outputs(state, session):
    flow = session.flow("f0", FLOW, [])
    flow.started({}, [])
    flow.output("a", 1)
    flow.output("a", 2)
    flow.finished(None, outputs={"a": 2, "b": [1, 2]})
    assert state.outputs == {"a": 2, "b": [1, 2]}


def test_log_tail_is_bounded_and_reads_both_stdio_spellings(clock):
    state = RunState(clock=clock, log_tail=3)
    stacks = at("n")
    state.apply({"type": "BlockStarted", "session_id": "s", "job_id": "j", "stacks": stacks})
    for i in range(5):
        state.apply({"type": "BlockLog", "session_id": "s", "job_id": "j", "stacks": stacks,
                     "log": f"line {i}", "stdio": "stdout"})
    # oocana's python SDK spells the stdio as the key.
    state.apply({"type": "BlockLog", "session_id": "s", "job_id": "j", "stacks": stacks,
                 "log": "err", "stderr": "stderr"})
    assert list(state.logs) == [("n", "line 3", "stdout"), ("n", "line 4", "stdout"),
                                ("n", "err", "stderr")]


def test_a_block_run_by_itself(state, session, clock):
    session.started()
    block = session.block("j1", "/pkg/blocks/add/block.oo.yaml", [])
    block.started({"a": 1, "b": 2})
    block.output("sum", 3)
    clock.advance(0.1)
    block.finished({"sum": 3})
    session.finished()
    assert [n.label for n in state.roots] == ["add"]
    assert state.roots[0].status == "done"
    assert state.outputs == {"sum": 3}
    assert state.status == "done" and state.elapsed == pytest.approx(0.1)


def test_cancelled_session(state, session):
    session.started()
    session.flow("f0", FLOW, []).started({}, ["a"])
    session.block("j1", None, at("a")).started({})
    session.finished("Cancelled")
    assert state.status == "cancelled"
    assert state.node("a").status == "cancelled"


def test_elapsed_runs_with_the_clock_until_the_end(state, session, clock):
    assert state.elapsed == 0
    session.started()
    clock.advance(3)
    assert state.elapsed == pytest.approx(3)
    session.finished()
    clock.advance(3)
    assert state.elapsed == pytest.approx(3)
