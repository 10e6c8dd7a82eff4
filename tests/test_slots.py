"""Slots, slotflows and their providers (engine reference §1.6, §2.8), through the CLI,
the public API and the pytest kit. Scenario package: ``tests/flows/slots``."""

from __future__ import annotations

import json
import subprocess

import pytest
from helpers import FLOWS, REPO, cli, cli_env, events, finished, flow_outputs, node_path

import oocana_local

SLOTS = FLOWS / "slots"
RUN_TIMEOUT = 120


def run_cli(*args: str) -> tuple[subprocess.CompletedProcess, list[dict]]:
    """``run --json --events``: the summary and every event."""
    proc = subprocess.run(cli("run", *args, "--json", "--events", "/dev/stdout"), cwd=REPO,
                          env=cli_env(), capture_output=True, text=True, timeout=RUN_TIMEOUT)
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    summary = [line for line in lines if "status" in line and "type" not in line]
    assert summary, f"no summary:\n{proc.stdout}\n{proc.stderr}"
    return proc, [line for line in lines if "type" in line] + [summary[-1]]


def summary_of(lines: list[dict]) -> dict:
    return lines[-1]


# -- CLI -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("scenario", "expected"), [
    ("task_slot", {"y": 7}),             # 2 * 3 + 1
    ("subflow_slot", {"y": 13}),         # 4 * 3 + 1
    ("nested", {"y": 9}),                # 2 * (3 + 1) + 1
    ("nodejs_slot", {"y": 10}),          # a Node.js task: 3 * 3 + 1
])
def test_cli_slot_providers(scenario, expected):
    proc, lines = run_cli(str(SLOTS / "flows" / scenario))
    summary = summary_of(lines)
    assert proc.returncode == 0, proc.stderr
    assert summary["status"] == "completed" and summary["outputs"] == expected


def test_cli_slotflow_with_runtime_extra_inputs():
    proc, lines = run_cli(str(SLOTS / "flows" / "slotflow_slot"))
    assert proc.returncode == 0, proc.stderr
    outputs = [e["output"] for e in lines if e.get("type") == "FlowOutput" and e["handle"] == "y"]
    assert sorted(outputs) == [31, 41]  # factor 10 given once, remembered for both runs
    assert summary_of(lines)["outputs"]["inline"] == 3
    types = {e.get("type") for e in lines}
    assert {"SlotflowStarted", "SlotflowOutput", "SlotflowFinished"} <= types


def test_cli_missing_provider_fails_prominently():
    proc, lines = run_cli(str(SLOTS / "flows" / "missing_provider"))
    summary = summary_of(lines)
    assert proc.returncode != 0
    assert summary["status"] == "failed"
    assert "Cannot run Slot Block directly" in summary["error"]
    assert "has no provider" in proc.stderr  # the check warning before the run
    slot_end = [e for e in lines if e.get("type") == "BlockFinished"
                and node_path(e) == "apply/f"]
    assert slot_end and "Cannot run Slot Block directly" in slot_end[0]["error"]
    assert not [e for e in lines if e.get("type") == "BlockStarted"
                and node_path(e) == "apply/plus_one"]


# -- the public API: events and stacks -----------------------------------------------------

def test_slot_task_runs_in_the_slots_place(engine):
    result = engine.run(SLOTS / "flows" / "task_slot")
    assert result.ok and result.outputs == {"y": 7}
    slot_runs = finished(result, "apply/f")
    assert [e["result"] for e in slot_runs] == [{"y": 6}]
    stacks = slot_runs[0]["stacks"]
    assert [s["node_id"] for s in stacks] == ["apply", "f"]
    assert stacks[1]["flow"].endswith("subflows/apply/subflow.oo.yaml")


def test_slotflow_events_carry_the_path_through_subflow_and_slot(engine):
    result = engine.run(SLOTS / "flows" / "slotflow_slot")
    assert result.ok
    assert sorted(flow_outputs(result, "y")) == [31, 41]
    started = events(result, "SlotflowStarted", "apply/f")
    assert len(started) == 2  # apply ran twice (x = 3, then 4)
    assert sorted(e["inputs"]["x"] for e in started) == [3, 4]
    assert all(e["inputs"]["factor"] == 10 for e in started)
    outs = events(result, "SlotflowOutput", "apply/f")
    assert sorted(e["output"] for e in outs) == [30, 40]
    ends = events(result, "SlotflowFinished", "apply/f")
    assert len(ends) == 2 and all(e["error"] is None for e in ends)
    inner = finished(result, "apply/f/times")
    assert sorted(e["result"]["y"] for e in inner) == [30, 40]
    assert events(result, "SubflowBlockStarted", "apply")  # the subflow itself stays one


def test_nested_slots(engine):
    result = engine.run(SLOTS / "flows" / "nested")
    assert result.ok and result.outputs == {"y": 9}
    assert [e["result"] for e in finished(result, "outer/g")] == [{"y": 4}]
    assert [e["result"] for e in finished(result, "outer/inner/f")] == [{"y": 8}]


def test_missing_provider_fails_the_run(engine):
    result = engine.run(SLOTS / "flows" / "missing_provider")
    assert result.status == "failed"
    assert "Cannot run Slot Block directly" in result.error
    assert result.nodes["apply"] == "failed"


def test_one_subflow_with_two_providers_in_one_run(tmp_path):
    flow = tmp_path / "pkg"
    (flow / "flows" / "both").mkdir(parents=True)
    for part in ("package.oo.yaml", "blocks", "subflows"):
        (flow / part).symlink_to(SLOTS / part)
    (flow / "flows" / "both" / "flow.oo.yaml").write_text("""
outputs_def: [{handle: doubled}, {handle: incremented}]
nodes:
  - node_id: a
    subflow: self::apply
    slots: [{slot_node_id: f, task: self::double}]
    inputs_from: [{handle: x, value: 10}]
  - node_id: b
    subflow: self::apply
    slots: [{slot_node_id: f, task: self::inc}]
    inputs_from: [{handle: x, value: 10}]
outputs_from:
  - {handle: doubled, from_node: [{node_id: a, output_handle: y}]}
  - {handle: incremented, from_node: [{node_id: b, output_handle: y}]}
""")
    result = oocana_local.run(flow / "flows" / "both")
    assert result.ok and result.outputs == {"doubled": 21, "incremented": 12}


# -- check -----------------------------------------------------------------------------------

def test_check_validates_providers_against_the_slot(tmp_path):
    flow = tmp_path / "pkg"
    (flow / "flows" / "bad").mkdir(parents=True)
    for part in ("package.oo.yaml", "blocks", "subflows", "slotflows"):
        (flow / part).symlink_to(SLOTS / part)
    (flow / "flows" / "bad" / "flow.oo.yaml").write_text("""
nodes:
  - node_id: wrong_handles
    subflow: self::apply
    slots: [{slot_node_id: f, task: self::mul}]
    inputs_from: [{handle: x, value: 1}]
  - node_id: unknown_slot
    subflow: self::apply
    slots: [{slot_node_id: nope, task: self::double}]
    inputs_from: [{handle: x, value: 1}]
  - node_id: not_self
    subflow: self::apply
    slots: [{slot_node_id: f, slotflow: scale}]
    inputs_from: [{handle: x, value: 1}]
""")
    proc = subprocess.run(cli("check", str(flow / "flows" / "bad")), cwd=REPO, env=cli_env(),
                          capture_output=True, text=True, timeout=RUN_TIMEOUT)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "needs input 'factor', which the slot does not give" in out
    assert "slots names 'nope', which is no slot node" in out
    assert "slot 'f' of subflow.oo.yaml has no provider" in out
    assert "slotflow 'scale' must be written self::<name>" in out
    good = subprocess.run(cli("check", str(SLOTS / "flows" / "nested")), cwd=REPO,
                          env=cli_env(), capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert good.returncode == 0, good.stdout + good.stderr


# -- the kit -----------------------------------------------------------------------------------

def test_kit_runs_slot_flows(run_flow):
    assert run_flow(SLOTS / "flows" / "task_slot").outputs == {"y": 7}
    assert run_flow(SLOTS / "flows" / "subflow_slot").outputs == {"y": 13}
    assert run_flow(SLOTS / "flows" / "nested").outputs == {"y": 9}
    assert run_flow(SLOTS / "flows" / "nodejs_slot").node_outputs["apply/f"]["y"] == [9]
    slotflow = run_flow(SLOTS / "flows" / "slotflow_slot")
    assert slotflow.outputs["inline"] == 3
    assert sorted(slotflow.node_outputs["apply/f/times"]["y"]) == [30, 40]
    assert sorted(slotflow.node_outputs["apply/plus_one"]["y"]) == [31, 41]
    missing = run_flow(SLOTS / "flows" / "missing_provider", check=False)
    assert missing.status == "failed" and "Cannot run Slot Block directly" in missing.error
