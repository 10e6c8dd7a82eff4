"""A newcomer's mistakes get an answer that says what to do: nodes that never ran,
an output key with a typo, inputs of the wrong type."""

from __future__ import annotations

import json

import pytest
from helpers import FLOWS
from test_cli import json_summary, run_cli

from oocana_local.errors import UsageError
from oocana_local.testing import BlockFailed


class TestNodesThatNeverRan:
    def test_the_summary_says_so_with_the_fix(self):
        proc = run_cli("run", str(FLOWS / "not_run"))
        assert proc.returncode == 0
        assert "⚠ 2 nodes did not run: an input had no value" in proc.stdout
        assert "lonely  missing input: b" in proc.stdout
        assert "fix: give the handle a value on the node" in proc.stdout
        assert "not take the block's default value" in proc.stdout
        assert proc.stdout.rstrip().endswith("but 2 nodes did not run")

    def test_strict_fails_the_run(self):
        proc = run_cli("run", str(FLOWS / "not_run"), "--strict", "--json")
        assert proc.returncode == 1 and json_summary(proc)["status"] == "completed"
        assert "--strict: 2 node(s) did not run (lonely, after_lonely)" in proc.stderr

    def test_strict_fails_on_a_warning(self):
        proc = run_cli("run", str(FLOWS / "warning"), "--strict")
        assert proc.returncode == 1
        assert "--strict: 1 warning(s) were raised" in proc.stderr

    def test_strict_passes_a_clean_run(self):
        assert run_cli("run", str(FLOWS / "chain"), "--strict").returncode == 0

    def test_the_kit_fails_unless_the_test_expects_it(self, run_flow):
        with pytest.raises(BlockFailed) as info:
            run_flow(FLOWS / "not_run")
        message = str(info.value)
        assert "completed, but 2 node(s) did not run" in message
        assert "lonely: missing input b" in message
        assert "give the handle a value on the node" in message
        assert "expect_not_run=['after_lonely', 'lonely']" in message
        result = run_flow(FLOWS / "not_run", expect_not_run=["lonely", "after_lonely"])
        assert result.outputs == {"fine": 2}
        assert run_flow(FLOWS / "not_run", expect_not_run=True).not_run


class TestUndeclaredOutput:
    WARNING = ("Output handle key: [greting] is not defined in Block outputs schema. "
               "Did you mean 'greeting'? Declared outputs never sent: 'greeting', 'language'.")

    def test_the_warning_suggests_the_declared_key(self, tmp_path):
        events = tmp_path / "events.jsonl"
        proc = run_cli("run", str(FLOWS / "typo_output"), "--events", str(events))
        assert proc.returncode == 0
        warnings = [json.loads(line).get("warning") for line in events.read_text().splitlines()]
        assert self.WARNING in warnings

    def test_the_kit_failure_says_the_same(self, run_flow):
        with pytest.raises(BlockFailed) as info:
            run_flow(FLOWS / "typo_output")
        assert "shout: missing input value" in str(info.value)
        assert f"warning from hello: {self.WARNING}" in str(info.value)

    def test_a_missing_output_in_the_kit_says_why(self, run_flow):
        result = run_flow(FLOWS / "typo_output", expect_not_run=True)
        with pytest.raises(KeyError) as info:
            result.outputs["loud"]
        assert "sent no output 'loud'" in str(info.value)
        assert "Did you mean 'greeting'?" in str(info.value)


class TestInputsAgainstTheirSchema:
    def test_cli_inputs_of_the_wrong_type_are_refused_before_running(self, tmp_path):
        events = tmp_path / "events.jsonl"
        proc = run_cli("run", "blocks/square", "--inputs", '{"numbers": "abc"}',
                       "--events", str(events))
        assert proc.returncode == 2
        assert "input 'numbers': expected type array, got \"abc\" (a string)" in proc.stderr
        assert not events.exists() or "BlockStarted" not in events.read_text()

    def test_an_item_of_the_wrong_type(self):
        proc = run_cli("run", "blocks/square", "--inputs", '{"numbers": [1, "x"]}')
        assert proc.returncode == 2
        assert "input 'numbers': expected type number at [1], got \"x\"" in proc.stderr

    def test_nodes_inputs_are_checked(self):
        proc = run_cli("run", str(FLOWS / "chain"), "--nodes-inputs", '{"a": {"b": true}}')
        assert proc.returncode == 2
        assert "node a of" in proc.stderr
        assert "input 'b': expected type number, got true (a boolean)" in proc.stderr

    def test_the_kit_refuses_them(self, run_block):
        with pytest.raises(UsageError, match=r"input 'numbers': expected type array"):
            run_block("blocks/square", inputs={"numbers": {"a": 1}})

    def test_inside_a_flow_a_mismatch_is_a_warning(self, run_flow):
        result = run_flow(FLOWS / "schema_mismatch", check=False)
        assert ("input 'b': expected type number, got \"2\" (a string) (the block runs "
                "anyway, as in oocana)") in result.node_warnings["add"]
        assert result.nodes == {"add": "failed"}  # it ran: the block itself failed


class TestNamingWhatToRun:
    def test_a_block_file_runs_its_block(self):
        proc = run_cli("run", "blocks/square/main.py", "--inputs", '{"numbers": [3]}',
                       "--json")
        assert proc.returncode == 0, proc.stderr
        assert json_summary(proc)["outputs"] == {"squares": [9]}

    def test_another_python_file_points_to_the_folder(self, tmp_path):
        script = tmp_path / "helper.py"
        script.write_text("x = 1\n")
        proc = run_cli("run", str(script))
        assert proc.returncode == 2
        assert "is a Python file, not a block or flow" in proc.stderr
        assert f"oocana-local run {tmp_path}" in proc.stderr

    def test_a_typo_in_the_path_suggests_the_folder(self):
        proc = run_cli("run", "blocks/squar")
        assert proc.returncode == 2
        assert "blocks/squar does not exist; did you mean blocks/square?" in proc.stderr


def _block(tmp_path, code: str, extra: str = ""):
    (tmp_path / "block.oo.yaml").write_text(
        "executor: {name: python, options: {entry: main.py}}\n"
        f"outputs_def: [{{handle: out}}]\n{extra}")
    (tmp_path / "main.py").write_text(code)
    return tmp_path


class TestBlockMistakes:
    def test_a_missing_function_names_the_full_path(self, tmp_path, run_block):
        block = _block(tmp_path, "def mian(params):\n    return {'out': 1}\n")
        result = run_block(block, check=False)
        assert (f"function main not found in {tmp_path / 'main.py'}; did you mean 'mian'?"
                in result.error)

    def test_a_non_dict_return_names_the_block_file(self, tmp_path, run_block):
        block = _block(tmp_path, "def main(params):\n    return 3\n")
        result = run_block(block, check=False)
        assert "return object needs to be a dictionary" in result.error
        assert f"main in {tmp_path / 'main.py'} must return a dict" in result.error

    def test_a_timeout_names_the_limit_and_where_it_was_set(self):
        proc = run_cli("run", str(FLOWS / "timeout"))
        assert proc.returncode == 1
        flow = FLOWS / "timeout" / "flow.oo.yaml"
        assert ("Timeout: node sleepy ran longer than its limit of 1 s (timeout: 1, set on "
                f"the node at {flow}:5)") in proc.stdout
