"""Every item that enters a subflow or slotflow comes out, or the run fails saying so;
a subflow node ends before its downstream runs (docs/slots-and-services.md). Scenario
package: ``tests/flows/slots`` (``map``: each -> slot f -> collect)."""

from __future__ import annotations

import json
import subprocess

import pytest
from helpers import FLOWS, REPO, cli, cli_env, events, finished, node_path, runs

import oocana_local
from oocana_local.graph.compile import compile_flow
from oocana_local.graph.model import NodeTarget
from oocana_local.runtime.node_inputs import NodeInputs

SLOTS = FLOWS / "slots"
RUN_TIMEOUT = 300


def run_cli(*args: str) -> tuple[subprocess.CompletedProcess, dict, list[dict]]:
    """``run --json --events``: the process, the summary and every event in order."""
    proc = subprocess.run(cli("run", *args, "--json", "--events", "/dev/stdout"), cwd=REPO,
                          env=cli_env(), capture_output=True, text=True, timeout=RUN_TIMEOUT)
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    summaries = [line for line in lines if "status" in line and "type" not in line]
    assert summaries, f"no summary:\n{proc.stdout}\n{proc.stderr}"
    return proc, summaries[-1], [line for line in lines if "type" in line]


def position(messages: list[dict], type_: str, node: str) -> list[int]:
    return [i for i, m in enumerate(messages) if m.get("type") == type_
            and node_path(m) == node]


# -- the map of array::map's shape, with a slotflow taking an extra input ----------------------

def test_cli_map_over_a_slotflow_with_an_extra_input_runs_every_item():
    proc, summary, messages = run_cli(str(SLOTS / "flows" / "map_extra"))
    assert proc.returncode == 0, proc.stderr
    assert summary["status"] == "completed"
    assert summary["outputs"] == {"array": [4, 5, 6]}
    slot_runs = [m["inputs"] for m in messages if m["type"] == "SlotflowStarted"]
    assert slot_runs == [{"item": 1, "n": 3}, {"item": 2, "n": 3}, {"item": 3, "n": 3}]
    assert [m["inputs"] for m in messages if m["type"] == "BlockStarted"
            and node_path(m) == "end"] == [{"array": [4, 5, 6]}]


def test_the_extra_input_reaches_the_slot_once_per_subflow_run(engine):
    result = engine.run(SLOTS / "flows" / "map_extra")
    assert result.ok, result.error
    assert events(result, "SubflowBlockStarted", "map")[0]["inputs"] == {
        "items": [1, 2, 3], "runtime::f-n": 3}
    assert [e["inputs"] for e in events(result, "BlockStarted", "map/f/plus")] == [
        {"item": 1, "n": 3}, {"item": 2, "n": 3}, {"item": 3, "n": 3}]
    assert runs(result, "map/collect") == 3 and runs(result, "end") == 1
    assert result.unconsumed == {}


# -- many items at once, with and without extra inputs, Python and Node.js ---------------------

def test_cli_fifty_items_through_python_typescript_and_javascript_slotflows():
    items = list(range(50))
    proc, summary, messages = run_cli(str(SLOTS / "flows" / "map_many"),
                                      "--inputs", json.dumps({"items": items, "n": 1000}))
    assert proc.returncode == 0, proc.stderr
    assert summary["status"] == "completed", summary["error"]
    assert summary["outputs"] == {
        "py_extra": [i + 3 for i in items],      # Python, extra input from a value node
        "py": [i * 2 for i in items],            # Python, no extra input
        "ts_extra": [i + 1000 for i in items],   # TypeScript, extra input from a flow input
        "js": [i * 2 for i in items],            # JavaScript, no extra input
        "node_each": [i + 3 for i in items],     # items emitted by a Node.js block
    }
    for end in ("end_py_extra", "end_py", "end_ts_extra", "end_js", "end_node_each"):
        assert len(position(messages, "BlockFinished", end)) == 1
    for slotflow in ("map_py_extra/f", "map_py/f", "map_ts_extra/f", "map_js/f",
                     "map_node_each/f"):
        assert len(position(messages, "SlotflowFinished", slotflow)) == 50


def test_fifty_items_with_the_kit(run_flow):
    items = list(range(50))
    result = run_flow(SLOTS / "flows" / "map_many", {"items": items})
    assert result.outputs["py_extra"] == [i + 3 for i in items]
    assert result.outputs["ts_extra"] == [i + 100 for i in items]  # n's default
    assert result.outputs["py"] == result.outputs["js"] == [i * 2 for i in items]
    assert result.outputs["node_each"] == [i + 3 for i in items]


def test_a_var_extra_input_stays_alive_for_every_item(engine):
    items = list(range(50))
    result = engine.run(SLOTS / "flows" / "map_var", inputs={"items": items})
    assert result.ok, result.error
    assert result.outputs == {"array": [i + 3 for i in items]}
    assert runs(result, "map/f/plus") == 50


# -- a run that loses values says so ---------------------------------------------------------

def test_a_subflow_that_leaves_values_unused_fails_the_run():
    proc, summary, messages = run_cli(str(SLOTS / "flows" / "lossy"))
    assert proc.returncode == 1
    assert summary["status"] == "failed"
    assert summary["nodes"]["lossy"] == "failed"
    error = summary["error"]
    assert "[node id: plus] left values unused" in error
    assert "2 value(s) entered this subflow run and were never used" in error
    assert "node 'plus' ran 1 time(s); then 2 value(s) on 'item' waited for a value on " \
           "'n' that never came" in error
    end = messages[position(messages, "SubflowBlockFinished", "lossy")[0]]
    assert end["error"] == "[node id: plus] left values unused"
    assert end["unconsumed"] == {"plus": {"item": 2}}


def test_the_root_flow_completes_with_a_surplus_and_reports_it(engine):
    result = engine.run(FLOWS / "zip")  # oocana: the surplus of a zip waits
    assert result.ok
    assert result.unconsumed == {"pair": {"a": 1}}
    flow_end = events(result, "FlowFinished")[0]
    assert flow_end["unconsumed"] == {"pair": {"a": 1}}


def test_cli_strict_fails_a_run_that_left_values_unused():
    proc = subprocess.run(cli("run", str(FLOWS / "zip"), "--strict"), cwd=REPO,
                          env=cli_env(), capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert proc.returncode == 1
    assert "1 value(s) were never used (pair)" in proc.stderr
    plain, summary, _ = run_cli(str(FLOWS / "zip"))  # without --strict: completed
    assert plain.returncode == 0 and summary["unconsumed"] == {"pair": {"a": 1}}
    assert "1 value waited and never ran" in proc.stdout  # the summary says it too


# -- event order: the subflow node ends before its downstream starts ----------------------------

def test_cli_a_subflow_finishes_before_its_downstream_runs():
    proc, _, messages = run_cli(str(SLOTS / "flows" / "map_extra"))
    assert proc.returncode == 0, proc.stderr
    [map_end] = position(messages, "SubflowBlockFinished", "map")
    [map_out] = position(messages, "SubflowBlockOutput", "map")
    [end_start] = position(messages, "BlockStarted", "end")
    assert map_out < map_end < end_start
    last = [m for m in messages if m["type"] == "BlockFinished"][-1]
    assert last["stacks"][-1]["node_id"] == "end"  # as oocana-node's flow tests expect
    # Inside too: each slotflow run ends before collect takes its output.
    slot_ends = position(messages, "SlotflowFinished", "map/f")
    collect_starts = position(messages, "BlockStarted", "map/collect")
    assert len(slot_ends) == len(collect_starts) == 3
    assert all(e < s for e, s in zip(slot_ends, collect_starts, strict=True))


def test_subflow_finish_precedes_the_downstream_in_run_result_events(engine):
    result = engine.run(SLOTS / "flows" / "map_extra")
    types = [(m["type"], node_path(m)) for m in result.events]
    assert types.index(("SubflowBlockFinished", "map")) < types.index(("BlockStarted", "end"))
    assert finished(result, "end")[0] is [m for m in result.events
                                          if m["type"] == "BlockFinished"][-1]


# -- remembered inputs: one value serves every run; a new one serves the very next run ----------

@pytest.mark.parametrize("order", ["new value first", "stream first"])
def test_a_remembered_input_uses_a_new_value_in_the_next_run(order):
    with oocana_local.Engine() as engine:
        flow = engine.load(SLOTS / "flows" / "slotflow_slot")
    apply = compile_flow(flow).nodes["apply"]  # factor comes from the node ten
    assert apply.inputs["runtime::f-factor"].remember
    state = NodeInputs(apply)
    state.push("runtime::f-factor", 10)
    state.push("x", 1)
    assert state.take() == {"x": 1, "runtime::f-factor": 10}
    state.push("x", 2)
    assert state.take()["runtime::f-factor"] == 10  # remembered
    if order == "new value first":
        state.push("runtime::f-factor", 20)
        state.push("x", 3)
    else:
        state.push("x", 3)
        state.push("runtime::f-factor", 20)
    assert state.fulfilled
    assert state.take() == {"x": 3, "runtime::f-factor": 20}  # the new one, not 10 again
    assert not state.fulfilled and state.unconsumed() == {}


def test_inside_the_subflow_the_slot_remembers_the_extra_input():
    with oocana_local.Engine() as engine:
        flow = engine.load(SLOTS / "flows" / "map_extra")
    providers = flow.nodes[1].providers
    subflow = compile_flow(flow.nodes[1].flow, providers)
    assert subflow.flow_inputs["runtime::f-n"] == [NodeTarget("f", "n")]  # wired once
    assert subflow.nodes["f"].inputs["n"].remember
    assert not subflow.nodes["f"].inputs["item"].remember


def test_the_kit_names_values_never_used_when_an_output_is_missing(run_flow):
    result = run_flow(FLOWS / "zip")
    assert result.unconsumed == {"pair": {"a": 1}}
    with pytest.raises(KeyError, match=r"values never used \(another input ran dry\): "
                                       r"pair \(1 on a\)"):
        result.outputs["total"]
