"""What a block sees and says inside a worker (reference: oocana-python §1, §3).

Call styles of main(), exit(), a worker crash, output warnings, captured logs and the
Context's own attributes, each through a scenario flow of ``tests/flows/``.
"""

from __future__ import annotations

import re
import uuid

from helpers import (
    FLOWS,
    events,
    finished,
    inputs_of,
    log_lines,
    logs_of,
    results_of,
    runs,
    started,
    warnings_of,
)


class TestCallArgs:
    def test_every_signature_of_main_is_called_with_what_it_asks_for(self, engine):
        result = engine.run(FLOWS / "call_args")

        assert result.status == "completed", result.error
        assert result.outputs["chain"] == "no_params|inputs_only|two_params|async_two_params"

    def test_a_single_parameter_annotated_context_gets_the_context(self, engine):
        result = engine.run(FLOWS / "call_args")

        assert result.outputs["context_only"] == "context_only"

    def test_all_five_blocks_finish_without_error(self, engine):
        result = engine.run(FLOWS / "call_args")

        done = events(result, "BlockFinished")
        assert len(done) == 5
        assert all("error" not in e and e["status"] == "done" for e in done)
        # context_only runs beside the chain, so only the chain's own order is fixed.
        chain = [e["node_id"] for e in done if e["node_id"] != "context_only"]
        assert chain == ["no_params", "inputs_only", "two_params", "async_two_params"]


class TestExit:
    def test_exit_without_a_code_finishes_the_block_successfully(self, engine):
        result = engine.run(FLOWS / "exit")

        assert result.status == "completed", result.error
        assert result.nodes["exiter"] == "done"
        [done] = finished(result, "exiter")
        assert "error" not in done

    def test_nothing_after_exit_runs(self, engine):
        result = engine.run(FLOWS / "exit")

        assert log_lines(result, "exiter") == ["before exit"]
        assert results_of(result, "exiter") == [None]

    def test_sys_exit_with_a_code_fails_the_block_with_that_code(self, engine):
        result = engine.run(FLOWS / "exit", nodes_inputs={"exiter": {"code": 1}})

        assert result.status == "failed"
        assert result.nodes["exiter"] == "failed"
        assert result.error.startswith("[node id: exiter] failed")
        assert "block call exit with message: 1" in result.error

    def test_the_worker_survives_exit_and_serves_the_next_run(self, engine):
        engine.run(FLOWS / "exit", nodes_inputs={"exiter": {"code": 1}})
        result = engine.run(FLOWS / "chain")

        assert result.status == "completed", result.error
        assert result.outputs == {"total": 113}


class TestCrash:
    def test_a_block_that_kills_its_worker_fails_the_flow_naming_the_exit_code(self, engine):
        result = engine.run(FLOWS / "crash")

        assert result.status == "failed"
        assert result.nodes["crasher"] == "crashed"
        assert result.error.startswith("[node id: crasher] failed")
        assert re.search(r"\bcode 3\b", result.error), result.error
        [done] = finished(result, "crasher")
        assert done["status"] == "crashed"
        assert runs(result, "after_crash") == 0

    def test_the_engine_runs_the_next_flow_after_a_crash(self, engine):
        crashed = engine.run(FLOWS / "crash")
        result = engine.run(FLOWS / "chain")

        assert crashed.status == "failed"
        assert result.status == "completed", result.error
        assert result.outputs == {"total": 113}

    def test_what_the_block_printed_before_crashing_is_kept(self, engine):
        result = engine.run(FLOWS / "crash")

        assert "about to crash" in log_lines(result, "crasher")


class TestWarning:
    def test_an_undeclared_output_key_gives_a_block_warning(self, engine):
        result = engine.run(FLOWS / "warning")

        assert warnings_of(result, "loose") == [
            "Output handle key: [c] is not defined in Block outputs schema."]

    def test_the_undeclared_key_is_dropped_and_the_flow_succeeds(self, engine):
        result = engine.run(FLOWS / "warning")

        assert result.status == "completed", result.error
        assert results_of(result, "loose") == [{"a": 1}]
        assert inputs_of(result, "after_loose") == [{"value": 1}]
        assert result.outputs == {"a": 1}


class TestLogs:
    def test_print_becomes_a_stdout_block_log_of_its_node(self, engine):
        result = engine.run(FLOWS / "logs")

        assert result.status == "completed", result.error
        stdout = [e["log"].rstrip("\n") for e in logs_of(result, "chatty")
                  if e["stdio"] == "stdout"]
        assert "hello from print" in stdout
        assert "several parts 3" in stdout

    def test_writes_to_stderr_become_stderr_block_logs(self, engine):
        result = engine.run(FLOWS / "logs")

        stderr = [e["log"] for e in logs_of(result, "chatty") if e["stdio"] == "stderr"]
        assert any("written to stderr" in line for line in stderr)

    def test_logging_records_become_block_logs(self, engine):
        result = engine.run(FLOWS / "logs")

        assert any("sent through logging" in line for line in log_lines(result, "chatty"))

    def test_print_from_a_thread_of_the_block_is_attributed_to_its_node(self, engine):
        result = engine.run(FLOWS / "logs")

        assert "hello from a thread" in log_lines(result, "chatty")

    def test_lines_of_two_nodes_running_at_once_are_kept_apart(self, engine):
        result = engine.run(FLOWS / "logs")

        assert log_lines(result, "quiet") == ["quiet node speaking"]
        assert "quiet node speaking" not in log_lines(result, "chatty")
        [chatty] = started(result, "chatty")
        assert all(e["job_id"] == chatty["job_id"] for e in logs_of(result, "chatty"))


class TestContextBasics:
    def run_inspect(self, engine, **kwargs):
        session_id = f"context-basics-{uuid.uuid4().hex[:8]}"
        result = engine.run(FLOWS / "context_basics", session_id=session_id, **kwargs)
        assert result.status == "completed", result.error
        assert result.session_id == session_id
        return result, result.outputs["info"]

    def test_the_context_knows_its_session_job_and_node(self, engine):
        result, info = self.run_inspect(engine)

        [job] = started(result, "inspect")
        assert info["session_id"] == result.session_id
        assert info["job_id"] == job["job_id"]
        assert info["node_id"] == "inspect"

    def test_the_session_tmp_and_package_tmp_dirs_exist_and_are_writable(self, engine):
        _, info = self.run_inspect(engine)

        assert info["session_dir_writable"] is True
        assert info["tmp_dir_writable"] is True
        assert info["tmp_pkg_dir_writable"] is True

    def test_environment_given_to_the_run_is_visible_to_the_block(self, engine):
        _, info = self.run_inspect(engine, env={"OOMOL_LOCAL_TEST_VALUE": "from the run"})

        assert info["env"] == "from the run"

    def test_inputs_and_handle_definitions_are_those_of_the_node(self, engine):
        _, info = self.run_inspect(engine)

        assert info["inputs"] == {"value": 7}
        assert info["inputs_def_handles"] == ["value"]
        assert info["outputs_def_handles"] == ["info"]

    def test_inputs_def_is_read_only(self, engine):
        _, info = self.run_inspect(engine)

        assert info["inputs_def_read_only"] is True
