"""The quickstart flow and the example blocks of the repository's own package."""

from __future__ import annotations

import time

import pytest
from helpers import (
    REPO,
    events,
    finished,
    inputs_of,
    log_lines,
    progress_of,
    results_of,
    runs,
)

import oocana_local

QUICKSTART = REPO / "flows" / "quickstart"

TASK_NODES = ["numbers", "square", "scale", "table", "summary", "counter", "report"]
EXPECTED_STATS = {
    "rows": 5,
    "columns": ["x", "squared", "scaled"],
    "sum": {"x": 15, "squared": 55, "scaled": 150},
    "mean": {"x": 3.0, "squared": 11.0, "scaled": 30.0},
}
EXPECTED_REPORT = ("Quickstart report\n"
                   "5 rows: x sums to 15, squared to 55, scaled to 150\n"
                   "counted to 10")


@pytest.fixture(scope="module")
def quickstart(engine):
    """One run of the quickstart with its defaults, and how long it took."""
    begin = time.monotonic()
    result = engine.run(QUICKSTART)
    return result, time.monotonic() - begin


class TestQuickstart:
    def test_it_runs_with_no_inputs_and_produces_the_stats_and_report(self, quickstart):
        result, _ = quickstart

        assert result.status == "completed", result.error
        assert result.outputs == {"stats": EXPECTED_STATS, "report": EXPECTED_REPORT}
        assert {node: result.nodes[node] for node in TASK_NODES} == dict.fromkeys(TASK_NODES,
                                                                               "done")

    def test_numbers_fan_out_to_square_scale_and_table(self, quickstart):
        result, _ = quickstart

        assert inputs_of(result, "square") == [{"numbers": [1, 2, 3, 4, 5]}]
        assert inputs_of(result, "scale") == [{"numbers": [1, 2, 3, 4, 5], "factor": 10}]
        [table] = inputs_of(result, "table")
        assert table["x"] == [1, 2, 3, 4, 5]

    def test_table_and_report_fan_in_from_three_upstreams(self, quickstart):
        result, _ = quickstart

        [table] = inputs_of(result, "table")
        assert table == {"x": [1, 2, 3, 4, 5], "squared": [1, 4, 9, 16, 25],
                         "scaled": [10, 20, 30, 40, 50]}
        assert inputs_of(result, "report") == [{
            "header": "Quickstart report",
            "body": "5 rows: x sums to 15, squared to 55, scaled to 150",
            "footer": "counted to 10",
            "separator": "\n",
        }]

    def test_the_value_node_sets_the_counters_steps(self, quickstart):
        result, _ = quickstart

        assert inputs_of(result, "counter") == [{"steps": 10, "delay": 0.12}]
        assert runs(result, "settings") == 0

    def test_the_dataframe_travels_as_an_object_reference(self, quickstart):
        result, _ = quickstart

        [table] = results_of(result, "table")
        assert table["frame"]["__OOMOL_TYPE__"] == "oomol/var"
        assert results_of(result, "summary")[0]["stats"] == EXPECTED_STATS

    def test_the_counter_reports_rising_progress_while_it_runs(self, quickstart):
        result, _ = quickstart

        progress = progress_of(result, "counter")
        assert len(progress) >= 3
        assert progress == sorted(progress)
        assert all(0 <= p <= 100 for p in progress)
        assert max(progress) >= 50

    def test_summarize_logs_and_previews_the_frame(self, quickstart):
        result, _ = quickstart

        lines = log_lines(result, "summary")
        assert "summarizing 5 rows x 3 columns" in lines
        assert "5 rows: x sums to 15, squared to 55, scaled to 150" in lines
        assert len(events(result, "BlockPreview", "summary")) == 1

    def test_the_counter_reports_progress_until_it_is_done(self, quickstart):
        result, _ = quickstart

        progress = [e["progress"] for e in events(result, "BlockProgress", "counter")]
        assert progress and progress == sorted(progress)
        [counter] = finished(result, "counter")
        assert counter["status"] == "done"

    def test_flow_inputs_change_the_numbers(self, engine):
        result = engine.run(QUICKSTART, inputs={"count": 3, "factor": 2, "title": "Small"})

        assert result.status == "completed", result.error
        assert result.outputs["stats"]["sum"] == {"x": 6, "squared": 14, "scaled": 12}
        assert result.outputs["report"].splitlines()[0] == "Small"


class TestExampleBlocks:
    """Each block of blocks/ run by itself, as ``oocana-local run blocks/<name>`` does."""

    @pytest.mark.parametrize(("block", "inputs", "outputs"), [
        ("make_numbers", {"count": 3, "start": 4}, {"numbers": [4, 5, 6]}),
        ("make_numbers", {}, {"numbers": [1, 2, 3, 4, 5]}),
        ("square", {"numbers": [1, -2, 0.5]}, {"squares": [1, 4, 0.25]}),
        ("scale", {"numbers": [1, 2], "factor": 3}, {"scaled": [3, 6]}),
        ("scale", {"numbers": [1, 2]}, {"scaled": [2, 4]}),
        ("join_text", {"header": "a", "body": "b", "footer": "c", "separator": "-"},
         {"text": "a-b-c"}),
        ("slow_count", {"steps": 2, "delay": 0}, {"count": 2, "message": "counted to 2"}),
    ])
    def test_a_block_run_alone_returns_its_result(self, engine, block, inputs, outputs):
        result = engine.run(REPO / "blocks" / block, inputs=inputs)

        assert result.status == "completed", result.error
        assert result.outputs == outputs

    def test_a_block_given_bad_inputs_fails_with_its_own_message(self, engine):
        result = engine.run(REPO / "blocks" / "make_numbers", inputs={"count": -1})

        assert result.status == "failed"
        assert "count must be 0 or more, got -1" in result.error

    def test_the_module_level_run_works_without_an_engine(self):
        result = oocana_local.run(REPO / "blocks" / "square", inputs={"numbers": [3]})

        assert result.status == "completed", result.error
        assert result.outputs == {"squares": [9]}
