"""Blocks that talk to the engine: run_block, query_block, query_downstream, keepAlive and
the rest of the Context, through real flows."""

from __future__ import annotations

import json

import pytest
from helpers import FLOWS, events, finished, started
from test_cli import json_summary, run_cli

import oocana_local


@pytest.fixture(scope="module")
def run_block_result(engine):
    result = engine.run(FLOWS / "run_block")
    assert result.status == "completed", result.error
    return result


class TestRunBlock:
    def test_outputs_and_progress_reach_the_caller(self, run_block_result):
        ok = run_block_result.outputs["report"]["ok"]

        # default `times` = 2 and nullable `note` = None were filled in
        assert ok["outputs"] == [{"note": None}, {"out": "hihi"}]
        assert ok["progress"][0] == 10 and ok["progress"][-1] == 100
        assert len(ok["progress"]) > 1

    def test_the_block_is_a_job_of_its_own_on_the_bus(self, run_block_result):
        caller = started(run_block_result, "caller")[0]
        child = next(e for e in events(run_block_result, "BlockStarted")
                     if e["node_id"] == "run_block::blk_b")

        assert child["job_id"].startswith(f"{caller['job_id']}-blk_b-")
        assert child["stacks"] == caller["stacks"]
        assert child["inputs"] == {"text": "hi", "times": 2, "note": None}
        outputs = [e for e in events(run_block_result, "BlockOutput")
                   if e["job_id"] == child["job_id"]]
        assert [e["handle"] for e in outputs] == ["note"]
        progress = [e for e in events(run_block_result, "BlockProgress")
                    if e["job_id"] == child["job_id"]]
        assert progress

    def test_failures_raise_in_the_caller_and_leave_the_flow_alone(self, run_block_result):
        report = run_block_result.outputs["report"]

        assert report["missing"]["error"].startswith(
            "BlockExecuteException: run block nope failed: block 'nope' not found")
        assert "input 'text': 1 is not of type 'string'" in report["strict"]["error"]
        assert "ValueError: blk_fail went wrong" in report["failed"]["error"]
        failed = [e for e in events(run_block_result, "BlockFinished")
                  if e.get("node_id") == "run_block::blk_fail"]
        assert failed[0]["status"] == "failed"
        assert run_block_result.nodes == {"caller": "done"}
        assert finished(run_block_result, "caller")[0].get("error") is None

    def test_a_subflow_runs_as_a_nested_flow(self, run_block_result):
        sub = run_block_result.outputs["report"]["subflow"]

        assert sub["outputs"] == [{"out": "deepdeepdeep"}]
        assert sub["progress"] == [100]
        types = [e["type"] for e in run_block_result.events if e["type"].startswith("Subflow")]
        assert types == ["SubflowBlockStarted", "SubflowBlockOutput", "SubflowBlockFinished"]
        inner = events(run_block_result, "BlockFinished", "caller/inner")
        assert inner and inner[0]["result"] == {"out": "deepdeepdeep"}

    def test_a_dataframe_output_reaches_the_caller_as_a_dataframe(self, run_block_result):
        assert run_block_result.outputs["report"]["frame"] == ["DataFrame:3"]

    def test_one_worker_is_no_deadlock_the_pool_grows_for_the_child(self):
        with oocana_local.Engine(max_workers=1) as engine:
            result = engine.run(FLOWS / "run_block")
        assert result.status == "completed", result.error
        assert result.outputs["report"]["ok"]["outputs"][-1] == {"out": "hihi"}

    def test_through_the_cli(self):
        proc = run_cli("run", str(FLOWS / "run_block"), "--json")
        assert proc.returncode == 0, proc.stderr
        assert json_summary(proc)["outputs"]["report"]["ok"]["outputs"][-1] == {"out": "hihi"}


class TestQueries:
    def test_query_block_and_query_downstream(self, engine):
        result = engine.run(FLOWS / "query")

        assert result.status == "completed", result.error
        answers = result.outputs["answers"]
        block = answers["block"]
        assert block["type"] == "task"
        assert {"inputs_def", "outputs_def", "additional_inputs", "additional_outputs"} <= set(block)
        assert [d["handle"] for d in block["inputs_def"]] == ["text", "times", "note"]
        assert answers["unknown"].startswith("block 'no_such_block' not found")
        down = answers["downstream"]["output1"]["to_node"][0]
        assert down["node_id"] == "end"
        assert down["description"] == "the end node"
        assert down["input_handle"] == "output1"
        assert down["input_handle_def"]["handle"] == "output1"
        assert down["input_handle_def"]["description"] == "what end takes"
        assert answers["downstream"]["output1"]["to_flow"] == []


class TestContextExtras:
    def test_keep_alive_finishes_from_a_thread_and_from_a_task(self, engine):
        result = engine.run(FLOWS / "context_extras")

        assert result.status == "completed", result.error
        assert result.outputs["threaded"] == "from a thread"
        assert result.outputs["tasked"] == "from a task"
        for node in ("threaded", "tasked"):
            done = finished(result, node)
            assert len(done) == 1 and done[0]["status"] == "done"
            assert done[0]["finish_at"] - started(result, node)[0]["create_at"] >= 250

    def test_environment_and_folders(self, engine):
        result = engine.run(FLOWS / "context_extras",
                            env={"OOMOL_TOKEN": "tok", "OOMOL_LLM_BASE_URL": "http://llm",
                                 "OOMOL_LLM_MODELS": "a,b", "OOMOL_HOST_GPU_VENDOR": "acme",
                                 "OO_HOST_ENDPOINT": "http://host"})

        env = result.outputs["env"]
        assert env["token"] == "tok"
        assert env["llm"]["base_url"] == "http://llm" and env["llm"]["models"] == ["a", "b"]
        assert env["host"] == {"gpu_vendor": "acme", "gpu_renderer": "unknown"}
        assert env["endpoint"] == "http://host"
        assert all(env["dirs"].values()), env["dirs"]
        assert env["same_pkg"] is True
        warnings = [e["warning"] for e in events(result, "BlockWarning", "env")]
        assert any("OOMOL_LLM_ENV variable api_key" in w for w in warnings)
        assert json.dumps(result.outputs)  # all plain JSON
