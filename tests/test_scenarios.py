"""The scheduling rules of oocana (reference §2), one scenario flow each.

Every test runs a flow of ``tests/flows/`` through the public API and checks what ran,
with which inputs, and what came out. The jobs run on threads of the test process
(``scheduler_engine``): these tests are about the scheduler; the blocks' own world
(worker processes, crashes, capture) is tested end to end elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import (
    FLOWS,
    events,
    finished,
    flow_outputs,
    flow_variant,
    inputs_of,
    intervals,
    max_overlap,
    node,
    nodes_started,
    results_of,
    runs,
    started,
    subflow_outputs,
)

from oocana_local.errors import UsageError


@pytest.fixture
def engine(scheduler_engine):
    return scheduler_engine


class TestChain:
    def test_each_node_runs_once_after_the_one_before_it(self, engine):
        result = engine.run(FLOWS / "chain")

        assert result.status == "completed", result.error
        assert result.error is None
        assert [runs(result, n) for n in "abc"] == [1, 1, 1]
        assert inputs_of(result, "b") == [{"a": 3, "b": 10}]
        assert inputs_of(result, "c") == [{"a": 13, "b": 100}]
        order = [e["node_id"] for e in result.events if e["type"] == "BlockStarted"]
        assert order == ["a", "b", "c"]

    def test_the_flow_output_is_the_last_nodes_result(self, engine):
        result = engine.run(FLOWS / "chain")

        assert result.outputs == {"total": 113}
        assert result.nodes == {"a": "done", "b": "done", "c": "done"}
        assert result.not_run == {}

    def test_a_run_reports_its_session_from_start_to_finish(self, engine):
        result = engine.run(FLOWS / "chain")

        types = [e["type"] for e in result.events]
        assert types[0] == "SessionStarted"
        assert types[-1] == "SessionFinished"
        assert types.count("FlowStarted") == 1
        assert types.count("FlowFinished") == 1
        assert all(e["session_id"] == result.session_id for e in result.events)
        assert result.duration  # reported, in seconds


class TestFanOut:
    def test_every_target_of_one_output_gets_the_value(self, engine):
        result = engine.run(FLOWS / "fan_out")

        assert result.status == "completed", result.error
        for target in ("plus1", "plus2", "plus3"):
            assert inputs_of(result, target) == [{"a": 7, "b": int(target[-1])}]

    def test_a_flow_output_wired_to_the_same_handle_gets_it_too(self, engine):
        result = engine.run(FLOWS / "fan_out")

        assert result.outputs == {"raw": 7, "p1": 8, "p2": 9, "p3": 10}
        assert runs(result, "source") == 1


class TestFanIn:
    def test_a_node_runs_once_per_value_arriving_on_its_input(self, engine):
        result = engine.run(FLOWS / "fan_in")

        assert result.status == "completed", result.error
        assert runs(result, "sink") == 4
        assert sorted(i["value"] for i in inputs_of(result, "sink")) == [0, 1, 2, 3]

    def test_each_run_sends_its_own_flow_output(self, engine):
        result = engine.run(FLOWS / "fan_in")

        assert sorted(flow_outputs(result, "seen")) == [0, 1, 2, 3]
        assert result.outputs["seen"] == flow_outputs(result, "seen")[-1]

    def test_a_flow_input_and_node_outputs_share_the_queue(self, engine):
        result = engine.run(FLOWS / "fan_in", inputs={"seed": 99})

        assert sorted(i["value"] for i in inputs_of(result, "sink")) == [1, 2, 3, 99]


class TestZip:
    def test_two_connected_inputs_pair_values_in_arrival_order(self, engine):
        result = engine.run(FLOWS / "zip")

        assert result.status == "completed", result.error
        assert inputs_of(result, "pair") == [{"a": 1, "b": 10}, {"a": 2, "b": 20}]
        assert flow_outputs(result, "sums") == [11, 22]

    def test_a_surplus_value_waits_and_does_not_block_completion(self, engine):
        result = engine.run(FLOWS / "zip")

        assert runs(result, "pair") == 2
        assert len(events(result, "BlockOutput", "left")) == 3
        assert result.nodes["pair"] == "done"


class TestRepeatedOutputs:
    def test_a_downstream_runs_once_per_streamed_output_in_order(self, engine):
        result = engine.run(FLOWS / "repeated_outputs")

        assert result.status == "completed", result.error
        assert [e["output"] for e in events(result, "BlockOutput", "burst")] == [1, 2, 3]
        assert inputs_of(result, "each_item") == [{"value": 1}, {"value": 2}, {"value": 3}]

    def test_an_output_and_a_result_on_one_handle_both_reach_the_downstream(self, engine):
        result = engine.run(FLOWS / "repeated_outputs")

        assert results_of(result, "both") == [{"out": "returned"}]
        assert inputs_of(result, "after_both") == [{"value": "streamed"},
                                                   {"value": "returned"}]


class TestOutputTargets:
    def test_an_output_sent_to_one_node_reaches_only_that_node(self, engine):
        result = engine.run(FLOWS / "output_targets")

        assert result.status == "completed", result.error
        assert inputs_of(result, "end") == [{"k": "for end"}]
        assert runs(result, "other") == 0

    def test_exactly_start_and_end_run_end_after_the_value_reached_it(self, engine):
        result = engine.run(FLOWS / "output_targets")

        done = events(result, "BlockFinished")
        assert sorted(e["stacks"][0]["node_id"] for e in done) == ["end", "start"]
        order = [(e["type"], e["stacks"][0]["node_id"]) for e in result.events
                 if e["type"] in ("BlockOutput", "BlockStarted") and e.get("stacks")]
        assert order.index(("BlockOutput", "start")) < order.index(("BlockStarted", "end"))

    def test_an_output_sent_to_the_flow_reaches_no_node(self, engine):
        result = engine.run(FLOWS / "output_targets")

        assert flow_outputs(result, "result") == ["for flow"]
        assert result.outputs == {"result": "for flow"}
        assert inputs_of(result, "end") == [{"k": "for end"}]


class TestValueNode:
    def test_a_value_node_beats_the_nodes_own_static_value(self, engine):
        result = engine.run(FLOWS / "value_node")

        assert result.status == "completed", result.error
        assert inputs_of(result, "+python#1") == [{"input": 2, "output": 3, "value1": 4}]
        assert result.outputs == {"result": 9}

    def test_a_value_node_is_never_run_as_a_job(self, engine):
        result = engine.run(FLOWS / "value_node")

        assert runs(result, "+value#1") == 0
        assert nodes_started(result) == {"+python#1", "+python#2"}


class TestStaticValues:
    def test_an_empty_or_null_static_value_arrives_as_none(self, engine):
        result = engine.run(FLOWS / "static_and_nullable")

        assert result.status == "completed", result.error
        assert inputs_of(result, "describe") == [
            {"empty": None, "null_value": None, "zero": 0, "text": ""}]
        assert result.outputs == {"kinds": {"empty": "NoneType", "null_value": "NoneType",
                                            "text": "str", "zero": "int"}}

    def test_a_nullable_handle_without_any_value_keeps_its_node_from_running(self, engine):
        result = engine.run(FLOWS / "static_and_nullable")

        assert runs(result, "needs_value") == 0
        assert result.nodes["needs_value"] == "not_run"
        assert result.not_run == {"needs_value": ["maybe"]}


class TestIgnore:
    def test_an_ignored_node_never_runs(self, engine):
        result = engine.run(FLOWS / "ignore")

        assert result.status == "completed", result.error
        assert runs(result, "source") == 0
        assert "source" not in nodes_started(result)

    def test_a_downstream_of_an_ignored_node_falls_back_to_its_static_value(self, engine):
        result = engine.run(FLOWS / "ignore")

        assert inputs_of(result, "fallback") == [{"value": 42}]
        assert result.outputs["fallback"] == 42

    def test_a_downstream_with_no_static_value_never_runs(self, engine):
        result = engine.run(FLOWS / "ignore")

        assert runs(result, "stranded") == 0
        assert result.nodes["stranded"] == "not_run"
        assert result.not_run["stranded"] == ["value"]

    def test_an_ignored_value_node_leaves_the_static_value_in_place(self, engine):
        result = engine.run(FLOWS / "ignore")

        assert inputs_of(result, "value_fallback") == [{"value": "own static value"}]
        assert result.outputs["value_fallback"] == "own static value"


class TestConcurrency:
    @pytest.mark.parametrize("limit", [1, 2])
    def test_no_more_jobs_of_a_node_run_at_once_than_its_concurrency(self, engine, tmp_path,
                                                                      limit):
        def set_limit(flow):
            node(flow, "worker")["concurrency"] = limit

        result = engine.run(flow_variant("concurrency", tmp_path, set_limit))

        assert result.status == "completed", result.error
        spans = intervals(result, "worker")
        assert len(spans) == 4
        assert max_overlap(spans) == limit
        assert sorted(flow_outputs(result, "done")) == [1, 2, 3, 4]

    def test_concurrency_two_runs_two_jobs_at_once(self, engine):
        result = engine.run(FLOWS / "concurrency")

        spans = intervals(result, "worker")
        assert len(spans) == 4
        assert max_overlap(spans) == 2


class TestTimeout:
    def test_a_node_past_its_timeout_fails_the_flow_with_timeout(self, engine):
        result = engine.run(FLOWS / "timeout")

        assert result.status == "failed"
        assert result.error.startswith("[node id: sleepy] failed")
        assert "Timeout" in result.error
        assert result.nodes["sleepy"] == "timeout"

    def test_the_timed_out_job_finishes_with_the_timeout_error(self, engine):
        result = engine.run(FLOWS / "timeout")

        [done] = finished(result, "sleepy")
        assert done["status"] == "timeout"
        assert "Timeout" in done["error"]
        assert runs(result, "after_sleepy") == 0


class TestNotRun:
    def test_a_node_missing_an_input_is_reported_with_the_handle(self, engine):
        result = engine.run(FLOWS / "not_run")

        assert result.status == "completed", result.error
        assert result.not_run["lonely"] == ["b"]
        assert result.nodes["lonely"] == "not_run"

    def test_its_downstream_does_not_run_and_the_rest_of_the_flow_does(self, engine):
        result = engine.run(FLOWS / "not_run")

        assert result.nodes["after_lonely"] == "not_run"
        assert nodes_started(result) == {"fine"}
        assert result.outputs == {"fine": 2}

    def test_the_flow_finished_event_lists_the_nodes_that_did_not_run(self, engine):
        result = engine.run(FLOWS / "not_run")

        [flow_finished] = events(result, "FlowFinished")
        assert flow_finished["error"] is None
        assert flow_finished["not_run"]["lonely"] == ["b"]


class TestError:
    def test_a_block_that_raises_fails_the_flow_naming_the_node(self, engine):
        result = engine.run(FLOWS / "error")

        assert result.status == "failed"
        assert result.error.startswith("[node id: bad] failed")
        assert result.nodes["bad"] == "failed"
        assert runs(result, "after_bad") == 0

    def test_the_error_holds_the_traceback_down_to_the_users_line(self, engine):
        result = engine.run(FLOWS / "error")

        assert "Traceback (most recent call last):" in result.error
        assert "check_positive.py" in result.error
        assert 'raise ValueError(f"bad input: {value}")' in result.error
        assert result.error.rstrip().endswith("ValueError: bad input: -1")
        [done] = finished(result, "bad")
        assert done["status"] == "failed"
        assert "ValueError: bad input: -1" in done["error"]

    def test_a_slow_node_running_beside_it_is_stopped(self, engine):
        result = engine.run(FLOWS / "error")

        assert runs(result, "slow") == 1
        assert result.nodes["slow"] == "cancelled"

    def test_the_session_finishes_with_the_flow_error(self, engine):
        result = engine.run(FLOWS / "error")

        [flow_finished] = events(result, "FlowFinished")
        assert flow_finished["error"].startswith("[node id: bad] failed")
        session_finished = result.events[-1]
        assert session_finished["type"] == "SessionFinished"
        assert session_finished.get("error")


class TestEarlyFailure:
    def test_a_node_failing_before_its_siblings_start_still_ends_the_flow(self, engine):
        result = engine.run(FLOWS / "early_failure")

        assert result.status == "failed"
        assert result.error.startswith("[node id: js] failed")
        assert "cannot run blocks of the 'rust' executor" in result.error
        assert result.nodes["js"] == "failed"


class TestSelfLoop:
    def test_a_node_fed_by_its_own_output_counts_down_and_stops(self, engine):
        result = engine.run(FLOWS / "self_loop")

        assert result.status == "completed", result.error
        assert [i["n"] for i in inputs_of(result, "countdown")] == [3, 2, 1, 0]
        assert flow_outputs(result, "ticks") == [3, 2, 1, 0]
        assert result.outputs == {"ticks": 0}

    def test_the_loop_follows_the_flow_input(self, engine):
        result = engine.run(FLOWS / "self_loop", inputs={"start": 1})

        assert [i["n"] for i in inputs_of(result, "countdown")] == [1, 0]


class TestSubflow:
    def test_each_subflow_output_reaches_the_parent_as_it_is_produced(self, engine):
        result = engine.run(FLOWS / "subflow")

        assert result.status == "completed", result.error
        assert subflow_outputs(result, "pair", "y") == [2, 3]
        assert inputs_of(result, "after_pair") == [{"value": 2}, {"value": 3}]
        assert result.nodes["pair"] == "done"

    def test_a_subflow_inside_a_subflow_streams_through_both_levels(self, engine):
        result = engine.run(FLOWS / "subflow")

        assert subflow_outputs(result, "outer/inner", "y") == [6, 7]
        assert inputs_of(result, "outer/bump") == [{"a": 6, "b": 100}, {"a": 7, "b": 100}]
        assert subflow_outputs(result, "outer", "y") == [106, 107]
        assert inputs_of(result, "after_outer") == [{"value": 106}, {"value": 107}]
        assert result.outputs == {"first": 3, "nested": 107}

    def test_blocks_inside_subflows_carry_the_stack_of_their_parents(self, engine):
        result = engine.run(FLOWS / "subflow")

        [deep] = started(result, "outer/inner/emit_two")
        assert [level["node_id"] for level in deep["stacks"]] == ["outer", "inner", "emit_two"]
        assert Path(deep["stacks"][0]["flow"]) == (FLOWS / "subflow" / "flow.oo.yaml").resolve()
        assert Path(deep["stacks"][2]["flow"]).parts[-2:] == ("twice", "subflow.oo.yaml")
        assert deep["inputs"] == {"x": 5}

    def test_only_root_flow_nodes_are_listed_in_the_result(self, engine):
        result = engine.run(FLOWS / "subflow")

        assert set(result.nodes) == {"pair", "after_pair", "outer", "after_outer"}
        assert len(events(result, "SubflowBlockStarted", "pair")) == 1
        assert len(events(result, "SubflowBlockFinished", "outer")) == 1


    def test_a_subflow_reports_its_progress_as_the_mean_of_its_nodes(self, engine):
        result = engine.run(FLOWS / "subflow")

        progress = [e["progress"] for e in events(result, "BlockProgress", "outer")]
        assert progress, "the subflow node reported no progress"
        assert all(0 <= p <= 95 for p in progress)
        assert progress == sorted(progress)


class TestCondition:
    @pytest.mark.parametrize(
        ("score", "tags", "case"),
        [
            (95, ["honors"], "excellent"),   # AND: both hold
            (95, [], "pass"),                # AND fails on tags, OR holds on score
            (10, ["retake"], "pass"),        # OR holds on tags alone
            (10, [], "fail"),                # no case holds: the default
        ],
    )
    def test_the_first_matching_case_routes_the_first_input(self, engine, score, tags, case):
        result = engine.run(FLOWS / "condition", inputs={"score": score, "tags": tags})

        assert result.status == "completed", result.error
        assert results_of(result, "grade") == [{case: score}]
        for branch in ("excellent", "pass", "fail"):
            expected = [{"value": score}] if branch == case else []
            assert inputs_of(result, f"on_{branch}") == expected
        assert result.outputs[case] == score


class TestSubset:
    def test_running_one_node_runs_it_and_its_upstream_only(self, engine):
        result = engine.run(FLOWS / "subset", nodes=["c"])

        assert result.status == "completed", result.error
        assert nodes_started(result) == {"a", "c"}
        assert result.outputs["c_sum"] == 12
        assert "b_sum" not in result.outputs

    def test_running_an_upstream_node_does_not_run_its_downstream(self, engine):
        result = engine.run(FLOWS / "subset", nodes=["a"])

        assert nodes_started(result) == {"a"}

    def test_two_targets_share_their_upstream(self, engine):
        result = engine.run(FLOWS / "subset", nodes=["b", "c"])

        assert nodes_started(result) == {"a", "b", "c"}
        assert runs(result, "a") == 1
        assert result.outputs == {"b_sum": 102, "c_sum": 12}

    def test_the_session_says_the_run_is_partial(self, engine):
        result = engine.run(FLOWS / "subset", nodes=["c"])

        assert result.events[0]["partial"] is True

    def test_an_unknown_node_id_is_a_usage_error(self, engine):
        with pytest.raises(UsageError, match="nope"):
            engine.run(FLOWS / "subset", nodes=["nope"])


class TestFlowInputs:
    def test_inputs_not_given_take_their_default_or_none_when_nullable(self, engine):
        result = engine.run(FLOWS / "flow_inputs")

        assert result.status == "completed", result.error
        assert inputs_of(result, "greet") == [{"name": "world", "times": 2, "note": None}]
        assert result.outputs["text"] == "hello world hello world"

    def test_given_inputs_replace_the_defaults(self, engine):
        result = engine.run(FLOWS / "flow_inputs",
                            inputs={"name": "oocana", "times": 1, "note": "local"})

        assert result.outputs["text"] == "hello oocana (local)"
        assert result.outputs["name_again"] == "oocana"

    def test_a_flow_input_can_be_passed_straight_to_a_flow_output(self, engine):
        result = engine.run(FLOWS / "flow_inputs")

        assert result.outputs["name_again"] == "world"

    def test_a_node_fed_by_an_input_without_default_waits_for_the_caller(self, engine):
        without = engine.run(FLOWS / "flow_inputs")
        given = engine.run(FLOWS / "flow_inputs", inputs={"required": "here"})

        assert runs(without, "needs_required") == 0
        assert without.not_run["needs_required"] == ["value"]
        assert "required_echo" not in without.outputs
        assert inputs_of(given, "needs_required") == [{"value": "here"}]
        assert given.outputs["required_echo"] == "here"


class TestNodesInputs:
    def test_static_values_are_used_when_nothing_is_replaced(self, engine):
        result = engine.run(FLOWS / "nodes_inputs")

        assert result.outputs == {"sum": 3, "total": 13}

    def test_nodes_inputs_replace_a_nodes_static_values(self, engine):
        result = engine.run(FLOWS / "nodes_inputs", nodes_inputs={"calc": {"a": 40}})

        assert result.status == "completed", result.error
        assert inputs_of(result, "calc") == [{"a": 40, "b": 2}]
        assert result.outputs == {"sum": 42, "total": 52}

    def test_a_connected_handle_keeps_the_value_from_upstream(self, engine):
        result = engine.run(FLOWS / "nodes_inputs",
                            nodes_inputs={"connected": {"a": 999, "b": 5}})

        assert inputs_of(result, "connected") == [{"a": 3, "b": 5}]
        assert result.outputs["total"] == 8


class TestHandleDefinitions:
    def test_blocks_see_every_field_of_block_and_node_level_handles(self, engine):
        # The block reads each field with [] (as published blocks do): a field left
        # out would fail it with a KeyError.
        result = engine.run(FLOWS / "handle_defs")

        assert result.status == "completed", result.error
        seen = result.outputs["seen"]
        blank = {"description": None, "json_schema": None, "kind": None,
                 "nullable": False, "is_additional": False, "has_value": False}
        assert seen["inputs.text"] == {  # the block's definition, not the node's
            **blank, "handle": "text", "json_schema": {"type": "string"},
            "kind": "primitive"}
        assert seen["inputs.maybe"] == {**blank, "handle": "maybe", "nullable": True,
                                        "has_value": True}  # nullable: an explicit null
        assert seen["inputs.extra"] == {**blank, "handle": "extra",
                                        "json_schema": {"type": "number"},
                                        "is_additional": True}
        assert seen["outputs.seen"] == {**blank, "handle": "seen",
                                        "json_schema": {"type": "object"}}
        assert seen["outputs.note"] == {**blank, "handle": "note", "is_additional": True,
                                        "description": "added on the node"}
        notes = [e["output"] for e in events(result, "BlockOutput", "probe")
                 if e["handle"] == "note"]
        assert notes == ["required: ['note', 'seen']"]

    def test_handles_a_run_block_caller_adds_arrive_the_same_way(self, engine):
        result = engine.run(FLOWS / "handle_defs")

        assert result.status == "completed", result.error
        seen = result.outputs["seen_by_run_block"]
        blank = {"description": None, "json_schema": None, "kind": None,
                 "nullable": False, "is_additional": False, "has_value": False}
        assert seen["inputs.extra"] == {**blank, "handle": "extra",
                                        "json_schema": {"type": "number"},
                                        "is_additional": True}
        assert seen["outputs.note"] == {**blank, "handle": "note", "kind": "primitive",
                                        "is_additional": True}
        assert seen["inputs.text"]["json_schema"] == {"type": "string"}


class TestAdditionalHandles:
    def test_node_level_handles_extend_a_block_that_allows_them(self, engine):
        result = engine.run(FLOWS / "additional")

        assert result.status == "completed", result.error
        assert result.outputs == {"greeting": "hello world",
                                  "shout": "HELLO WORLD ['world'] ['shout']"}
