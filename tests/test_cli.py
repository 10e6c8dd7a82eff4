"""The command line, end to end: ``python -m oocana_local run|check ...`` in a subprocess."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from helpers import FLOWS, REPO, cli, cli_env, descendants, is_alive

RUN_TIMEOUT = 120

EVENT_TYPES_OF_THE_QUICKSTART = {
    "SessionStarted", "FlowStarted", "FlowNodesWillRun", "BlockStarted", "BlockProgress",
    "BlockLog", "BlockPreview", "BlockFinished", "FlowOutput", "FlowFinished",
    "SessionFinished",
}


def run_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run(cli(*args), cwd=cwd, env=cli_env(), capture_output=True, text=True,
                          timeout=RUN_TIMEOUT)


def json_summary(proc: subprocess.CompletedProcess) -> dict:
    """The one object ``--json`` prints."""
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"--json printed no single JSON object:\nstdout: {proc.stdout}\n"
                    f"stderr: {proc.stderr}")


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based number of the line holding the n-th occurrence of ``needle``."""
    lines = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    return lines[occurrence - 1]


@pytest.fixture(scope="module")
def quickstart_cli(tmp_path_factory):
    """``run flows/quickstart --json --events FILE``: the process, its summary, its events."""
    events_file = tmp_path_factory.mktemp("quickstart") / "events.jsonl"
    proc = run_cli("run", "flows/quickstart", "--json", "--events", str(events_file))
    events = [json.loads(line) for line in events_file.read_text().splitlines() if line]
    return proc, json_summary(proc), events


class TestRun:
    def test_the_quickstart_exits_0_and_prints_its_outputs_as_json(self, quickstart_cli):
        proc, summary, _ = quickstart_cli

        assert proc.returncode == 0, proc.stderr
        assert set(summary) == {"session_id", "status", "outputs", "error", "nodes"}
        assert summary["status"] == "completed"
        assert summary["error"] is None
        assert summary["outputs"]["stats"]["sum"] == {"x": 15, "squared": 55, "scaled": 150}
        assert summary["outputs"]["report"].endswith("counted to 10")
        assert summary["nodes"]["counter"] == "done"

    def test_inputs_on_the_command_line_reach_the_flow(self):
        proc = run_cli("run", "flows/quickstart", "--json",
                            "--inputs", '{"count": 2, "factor": 1}')

        assert proc.returncode == 0, proc.stderr
        assert json_summary(proc)["outputs"]["stats"]["sum"] == {
            "x": 3, "squared": 5, "scaled": 3}

    def test_a_failing_flow_exits_1_with_the_error(self):
        proc = run_cli("run", str(FLOWS / "error"), "--json")

        assert proc.returncode == 1
        summary = json_summary(proc)
        assert summary["status"] == "failed"
        assert summary["error"].startswith("[node id: bad] failed")
        assert "ValueError: bad input: -1" in summary["error"]
        assert summary["nodes"]["bad"] == "failed"

    def test_a_single_block_runs_with_inputs_from_the_command_line(self):
        proc = run_cli("run", "blocks/square", "--inputs", '{"numbers": [1, 2, 3]}',
                            "--json")

        assert proc.returncode == 0, proc.stderr
        summary = json_summary(proc)
        assert summary["status"] == "completed"
        assert summary["outputs"] == {"squares": [1, 4, 9]}

    def test_nodes_runs_only_those_nodes_and_their_upstream(self):
        proc = run_cli("run", str(FLOWS / "subset"), "--nodes", "c", "--json")

        assert proc.returncode == 0, proc.stderr
        summary = json_summary(proc)
        assert summary["outputs"] == {"c_sum": 12}
        assert summary["nodes"]["a"] == summary["nodes"]["c"] == "done"
        assert summary["nodes"].get("b") != "done"

    def test_nodes_inputs_replace_static_values(self):
        proc = run_cli("run", str(FLOWS / "nodes_inputs"), "--json",
                            "--nodes-inputs", '{"calc": {"a": 40}}')

        assert proc.returncode == 0, proc.stderr
        assert json_summary(proc)["outputs"] == {"sum": 42, "total": 52}

    def test_session_sets_the_session_id(self):
        proc = run_cli("run", str(FLOWS / "chain"), "--session", "cli-session-1", "--json")

        assert proc.returncode == 0, proc.stderr
        assert json_summary(proc)["session_id"] == "cli-session-1"

    def test_search_paths_resolve_package_references(self, tmp_path):
        block = tmp_path / "packages" / "demo_pkg" / "blocks" / "double"
        block.mkdir(parents=True)
        (block.parents[1] / "package.oo.yaml").write_text("name: demo_pkg\nversion: 1.0.0\n")
        (block / "block.oo.yaml").write_text(
            "executor: {name: python, options: {entry: main.py}}\n"
            "inputs_def: [{handle: n, json_schema: {type: number}}]\n"
            "outputs_def: [{handle: doubled, json_schema: {type: number}}]\n")
        (block / "main.py").write_text(
            "def main(inputs):\n    return {'doubled': inputs['n'] * 2}\n")
        flow = tmp_path / "workspace" / "flows" / "use_pkg"
        flow.mkdir(parents=True)
        (flow / "flow.oo.yaml").write_text(
            "outputs_def: [{handle: doubled}]\n"
            "nodes:\n"
            "  - node_id: double\n"
            "    task: demo_pkg::double\n"
            "    inputs_from: [{handle: n, value: 21}]\n"
            "outputs_from:\n"
            "  - {handle: doubled, from_node: [{node_id: double, output_handle: doubled}]}\n")

        proc = run_cli("run", str(flow), "--search-paths", str(tmp_path / "packages"),
                            "--json")

        assert proc.returncode == 0, proc.stderr
        assert json_summary(proc)["outputs"] == {"doubled": 42}


class TestEventsFile:
    def test_every_line_is_one_event_of_the_session(self, quickstart_cli):
        _, summary, events = quickstart_cli

        assert events
        assert all(isinstance(e, dict) and "type" in e for e in events)
        assert {e["session_id"] for e in events} == {summary["session_id"]}

    def test_the_session_starts_first_and_finishes_last(self, quickstart_cli):
        _, _, events = quickstart_cli

        assert events[0]["type"] == "SessionStarted"
        assert events[-1]["type"] == "SessionFinished"
        assert "error" not in events[-1]

    def test_every_kind_of_event_of_the_run_is_recorded(self, quickstart_cli):
        _, _, events = quickstart_cli

        assert EVENT_TYPES_OF_THE_QUICKSTART <= {e["type"] for e in events}

    def test_each_job_starts_once_and_before_it_finishes(self, quickstart_cli):
        _, _, events = quickstart_cli

        starts = [(i, e["job_id"]) for i, e in enumerate(events) if e["type"] == "BlockStarted"]
        ends = {e["job_id"]: i for i, e in enumerate(events) if e["type"] == "BlockFinished"}
        assert len(starts) == len(ends) == 7
        for index, job_id in starts:
            assert index < ends[job_id]

    def test_the_flow_starts_after_the_session_and_finishes_before_it(self, quickstart_cli):
        _, _, events = quickstart_cli
        types = [e["type"] for e in events]

        assert types.index("FlowStarted") < types.index("BlockStarted")
        assert types.index("FlowFinished") > max(
            i for i, t in enumerate(types) if t == "BlockFinished")
        assert types.index("FlowFinished") < len(types) - 1

    def test_flow_outputs_in_the_file_match_the_json_summary(self, quickstart_cli):
        _, summary, events = quickstart_cli

        outputs = {e["handle"]: e["output"] for e in events if e["type"] == "FlowOutput"}
        assert outputs == summary["outputs"]


BROKEN_FLOW = """\
nodes:
  - node_id: source
    task: {echo}
    inputs_from:
      - {{handle: value, value: 1}}
  - {{node_id: missing_block, task: ./no_such_block}}
  - node_id: orphan
    task: {echo}
    inputs_from:
      - {{handle: value, from_node: [{{node_id: ghost, output_handle: value}}]}}
  - node_id: twin
    task: {echo}
    inputs_from:
      - {{handle: value, value: 1}}
  - node_id: twin
    task: {echo}
    inputs_from:
      - {{handle: value, value: 2}}
  - node_id: wrong_handle
    task: {echo}
    inputs_from:
      - {{handle: value, from_node: [{{node_id: source, output_handle: nope}}]}}
"""


@pytest.fixture
def broken_flow(tmp_path):
    """A flow with four problems, and ``(line, severity, word)`` for each: the line it is
    on, how bad it is and a word its message must name.

    An unknown block and a duplicate node id stop the engine (errors); an edge to a
    missing node or output handle is dropped by oocana with a warning, so ``check``
    may report those as warnings.
    """
    text = BROKEN_FLOW.format(echo=FLOWS / "blocks" / "echo")
    flow = tmp_path / "broken"
    flow.mkdir()
    (flow / "flow.oo.yaml").write_text(text)
    problems = [
        (line_of(text, "no_such_block"), "error", "no_such_block"),
        (line_of(text, "node_id: twin", 2), "error", "twin"),
        (line_of(text, "node_id: ghost"), "(error|warning)", "ghost"),
        (line_of(text, "output_handle: nope"), "(error|warning)", "nope"),
    ]
    return flow, problems


def assert_lists_problems(output: str, problems) -> None:
    for line, severity, word in problems:
        pattern = rf"flow\.oo\.yaml:{line}: {severity}: .*{re.escape(word)}"
        assert re.search(pattern, output), f"no '{pattern}' in:\n{output}"


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if re.search(r":\d+: error: ", line)]


class TestCheck:
    def test_a_clean_flow_passes(self):
        proc = run_cli("check", "flows/quickstart")

        assert proc.returncode == 0, proc.stdout + proc.stderr

    def test_each_problem_is_listed_with_its_file_and_line(self, broken_flow):
        flow, problems = broken_flow

        proc = run_cli("check", str(flow))

        assert proc.returncode == 2
        assert_lists_problems(proc.stdout + proc.stderr, problems)

    def test_problems_come_with_a_hint(self, broken_flow):
        flow, _ = broken_flow

        proc = run_cli("check", str(flow))

        assert re.search(r"^\s*hint: \S", proc.stdout + proc.stderr, re.MULTILINE)

    def test_run_refuses_a_broken_flow_with_the_same_errors(self, broken_flow):
        flow, problems = broken_flow

        checked = run_cli("check", str(flow))
        proc = run_cli("run", str(flow))

        assert proc.returncode == 2
        errors = error_lines(checked.stdout + checked.stderr)
        assert len(errors) >= 2
        assert errors == error_lines(proc.stdout + proc.stderr)
        assert_lists_problems(proc.stdout + proc.stderr,
                              [p for p in problems if p[1] == "error"])

    def test_a_yaml_syntax_error_is_reported_with_its_line(self, tmp_path):
        flow = tmp_path / "unparsable"
        flow.mkdir()
        (flow / "flow.oo.yaml").write_text("nodes:\n  - node_id: a\n    task: [unclosed\n")

        proc = run_cli("check", str(flow))

        assert proc.returncode == 2
        assert re.search(r"flow\.oo\.yaml:\d+: error: ", proc.stdout + proc.stderr)


def python_block(root: Path, name: str, code: str, function: str = "main") -> Path:
    """A block folder whose main.py holds ``code``."""
    block = root / name
    block.mkdir()
    (block / "block.oo.yaml").write_text(
        f"executor: {{name: python, options: {{entry: main.py, function: {function}}}}}\n"
        "inputs_def: [{handle: x}]\noutputs_def: [{handle: x}]\n")
    (block / "main.py").write_text(code)
    return block


class TestCheckPythonBlocks:
    """``check`` compiles every python block a manifest uses, without running it."""

    def test_a_syntax_error_is_reported_at_its_file_and_line(self, tmp_path):
        block = python_block(tmp_path, "broken",
                             "def main(inputs):\n    x = (1,\n    return x\n\n\nok = 1\n")

        proc = run_cli("check", str(block))

        assert proc.returncode == 2, proc.stderr
        assert re.search(r"broken/main\.py:\d+: error: main\.py does not compile: ",
                         proc.stderr), proc.stderr

    def test_a_misspelled_function_gets_a_did_you_mean(self, tmp_path):
        block = python_block(tmp_path, "typo", "def mian(inputs):\n    return inputs\n")

        proc = run_cli("check", str(block))

        assert proc.returncode == 2, proc.stderr
        assert "error: function 'main' is not defined in main.py" in proc.stderr
        assert "hint: did you mean 'mian'?" in proc.stderr

    def test_a_flow_checks_the_blocks_it_uses_inline_ones_too(self, tmp_path):
        python_block(tmp_path, "named", "def run(inputs):\n    return inputs\n",
                     function="run")
        (tmp_path / "flow.oo.yaml").write_text(
            "nodes:\n"
            "  - node_id: a\n    task: ./named\n    inputs_from: [{handle: x, value: 1}]\n"
            "  - node_id: b\n"
            "    task:\n"
            "      executor: {name: python, options: {source: 'def main(inputs) return 1'}}\n")

        proc = run_cli("check", str(tmp_path / "flow.oo.yaml"))

        assert proc.returncode == 2, proc.stderr
        assert re.search(r"flow\.oo\.yaml:\d+: error: the inline source does not compile: "
                         r".*\(line 1 of the inline source\)", proc.stderr), proc.stderr
        assert "named" not in proc.stderr  # its function `run` is found

    def test_blocks_are_compiled_not_run(self, tmp_path):
        marker = tmp_path / "ran"
        block = python_block(
            tmp_path, "side_effect",
            f"open({str(marker)!r}, 'w').close()\n\ndef main(inputs):\n    return inputs\n")

        proc = run_cli("check", str(block))

        assert proc.returncode == 0, proc.stderr
        assert not marker.exists()

    def test_warnings_alone_exit_0_and_strict_makes_them_fail(self):
        flow = FLOWS / "not_run"  # a node that can never get its input: a warning

        relaxed = run_cli("check", str(flow))
        strict = run_cli("check", "--strict", str(flow))

        assert relaxed.returncode == 0, relaxed.stderr
        assert "warning: node 'lonely' will never run" in relaxed.stderr
        assert "--strict makes warnings fail" in relaxed.stderr
        assert strict.returncode == 2
        assert "warning: node 'lonely' will never run" in strict.stderr

    def test_check_and_run_use_the_blocks_definition_of_a_redeclared_handle(self):
        proc = run_cli("check", str(FLOWS / "handle_defs"))

        assert proc.returncode == 0, proc.stderr
        assert re.search(r"warning: node 'probe' declares input handle 'text' again; .*"
                         r"the block's definition is the one used", proc.stderr)


class TestUsageErrors:
    @pytest.mark.parametrize("inputs", ['{"count": ', "[1, 2]", "not json"])
    def test_malformed_inputs_exit_2_naming_the_flag(self, inputs):
        proc = run_cli("run", "flows/quickstart", "--inputs", inputs)

        assert proc.returncode == 2
        assert "--inputs" in proc.stderr

    def test_malformed_nodes_inputs_exit_2(self):
        proc = run_cli("run", "flows/quickstart", "--nodes-inputs", "{oops")

        assert proc.returncode == 2
        assert "--nodes-inputs" in proc.stderr

    def test_a_path_without_a_manifest_exits_2(self, tmp_path):
        proc = run_cli("run", str(tmp_path))

        assert proc.returncode == 2
        assert str(tmp_path) in proc.stdout + proc.stderr

    def test_an_unknown_node_in_nodes_exits_2(self):
        proc = run_cli("run", str(FLOWS / "subset"), "--nodes", "nope")

        assert proc.returncode == 2
        assert "nope" in proc.stderr


class TestInterrupt:
    def test_ctrl_c_exits_130_soon_and_leaves_no_worker_behind(self, tmp_path):
        marker = tmp_path / "started"
        events_file = tmp_path / "events.jsonl"
        inputs = json.dumps({"marker": str(marker)})
        with open(tmp_path / "out", "w") as out, open(tmp_path / "err", "w") as err:
            proc = subprocess.Popen(
                cli("run", str(FLOWS / "slow"), "--inputs", inputs, "--events",
                    str(events_file)),
                cwd=REPO, env=cli_env(), stdout=out, stderr=err, start_new_session=True)
        workers: set[int] = set()
        try:
            deadline = time.monotonic() + 30
            while not marker.exists():
                assert proc.poll() is None, (tmp_path / "err").read_text()
                assert time.monotonic() < deadline, "the slow flow never started"
                time.sleep(0.05)
            time.sleep(0.3)  # let nap_too start beside nap
            workers = descendants(proc.pid)
            assert workers, "a running flow should have worker processes"

            proc.send_signal(signal.SIGINT)
            returncode = proc.wait(timeout=30)

            assert returncode == 130, (tmp_path / "err").read_text()
            deadline = time.monotonic() + 10
            while any(is_alive(pid) for pid in workers) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not [pid for pid in workers if is_alive(pid)]
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            for pid in workers:
                if is_alive(pid):
                    os.kill(pid, signal.SIGKILL)

        events = [json.loads(line) for line in events_file.read_text().splitlines() if line]
        assert events[-1]["type"] == "SessionFinished"
        assert "Cancelled" in events[-1].get("error", "")
