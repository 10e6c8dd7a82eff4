"""Node.js blocks (TypeScript and JavaScript) on real Node workers, and shell blocks.

Scenarios live in ``tests/flows/nodejs`` (an oocana package: ``tasks/`` and ``flows/``);
they run through the public API, the pytest kit and the CLI.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import (
    FLOWS,
    REPO,
    cli,
    cli_env,
    events,
    flow_outputs,
    intervals,
    log_lines,
    max_overlap,
    progress_of,
    results_of,
    warnings_of,
)

import oocana_local

PKG = FLOWS / "nodejs"
TASKS = PKG / "tasks"

def node_outcome(result, node: str) -> dict:
    [finished] = events(result, "BlockFinished", node)
    return finished


class TestLoading:
    def test_typescript_with_type_imports_and_relative_imports(self, run_block):
        # import type from @oomol/types (not installed), "./helper" and "./half.js" -> .ts
        assert run_block(TASKS / "add", inputs={"a": 1, "b": 2}).outputs == {"sum": 3}

    def test_commonjs_module_exports(self, run_block):
        assert run_block(TASKS / "cjs", inputs={"text": "hi"}).outputs["upper"].startswith("HI")

    def test_esm_in_a_js_file_without_type_module_and_a_named_function(self, run_block):
        assert run_block(TASKS / "esm_js", inputs={"text": "hi"}).outputs == {"out": "hi!"}

    def test_tilde_imports_resolve_from_the_package_root(self, run_block):
        result = run_block(TASKS / "tilde", inputs={"name": "ada"})
        assert result.outputs == {"greeting": "hello, ada"}

    def test_inline_scriptlets_file_and_source(self, engine):
        result = engine.run(PKG / "flows" / "inline")
        assert result.status == "completed", result.error
        assert result.outputs == {"out": "INLINE twice"}

    def test_the_nearest_tsconfig_applies_legacy_decorators(self, run_block, tmp_path):
        block = tmp_path / "decorated"
        block.mkdir()
        (tmp_path / "tsconfig.json").write_text(
            '{\n  // comments are fine\n  "compilerOptions": {"experimentalDecorators": true}\n}\n')
        (block / "task.oo.yaml").write_text(
            "executor: {name: nodejs, options: {entry: main.ts}}\noutputs_def: [{handle: v}]\n")
        (block / "main.ts").write_text(
            "function twice(_t: any, _k: string, d: PropertyDescriptor) {\n"
            "  const f = d.value;\n"
            "  d.value = function (n: number) { return f.call(this, n) * 2; };\n"
            "}\n"
            "class C { @twice get(n: number) { return n + 1; } }\n"
            "export default () => ({ v: new C().get(1) });\n")
        assert run_block(block).outputs == {"v": 4}

    def test_a_changed_file_is_reloaded_on_the_next_job(self, engine, tmp_path):
        block = tmp_path / "changing"
        block.mkdir()
        (block / "task.oo.yaml").write_text(
            "executor: {name: nodejs, options: {entry: main.ts}}\noutputs_def: [{handle: v}]\n")
        (block / "lib.ts").write_text("export const v: number = 1;\n")
        (block / "main.ts").write_text('import { v } from "./lib";\n'
                                       "export default () => ({ v });\n")
        session = "reload-session"
        assert engine.run(block, session_id=session).outputs == {"v": 1}
        time.sleep(0.01)
        (block / "lib.ts").write_text("export const v: number = 2;\n")
        assert engine.run(block, session_id=session).outputs == {"v": 2}

    def test_a_missing_function_is_named_before_anything_runs(self, engine, tmp_path):
        block = tmp_path / "nofn"
        block.mkdir()
        (block / "task.oo.yaml").write_text(
            "executor: {name: nodejs, options: {entry: main.ts, function: run}}\n")
        (block / "main.ts").write_text("export const other = 1;\n")
        with pytest.raises(oocana_local.ManifestError, match="exports no function 'run'"):
            engine.run(block)


class TestContext:
    def test_keep_alive_then_finish(self, run_block):
        assert run_block(TASKS / "keepalive").outputs == {"output": "later"}

    def test_logs_progress_previews_and_messages_arrive_as_events(self, run_block):
        result = run_block(TASKS / "talk")
        node = "talk"
        lines = log_lines(result.run, node)
        assert "hello from console.log" in lines
        assert "a line on stderr" in lines
        assert "a reported line" in lines
        assert "from a timer callback" in lines  # an async callback of the block
        stdio = {e["log"]: e["stdio"] for e in events(result.run, "BlockLog", node)}
        assert stdio["a line on stderr"] == "stderr"
        progress = progress_of(result.run, node)
        assert progress[0] == 10 and progress[-1] == 100
        previews = [e["payload"] for e in events(result.run, "BlockPreview", node)]
        assert previews[0]["type"] == "table" and previews[1] == {"type": "markdown",
                                                                  "data": "# Title"}
        assert warnings_of(result.run, node) == ["careful"]
        assert [e["payload"] for e in events(result.run, "BlockMessage", node)] == [
            {"hello": "world"}]
        assert [e["json"] for e in events(result.run, "BlockLogJSON", node)] == [{"key": 1}]

    def test_output_many_times_runs_the_downstream_node_once_per_value(self, engine):
        result = engine.run(PKG / "flows" / "many")
        assert result.status == "completed", result.error
        assert flow_outputs(result, "squared") == [1, 4, 9]
        assert len(results_of(result, "square")) == 3

    def test_run_block_and_query_block_from_typescript(self, run_block):
        # The started job runs on the same Node worker while its caller waits: one worker
        # runs several jobs at once.
        result = run_block(TASKS / "call_add", inputs={"a": 5})
        assert result.outputs == {"sum": 105, "inputs": ["a", "b"]}

    def test_module_state_persists_across_jobs_of_a_session(self, engine):
        result = engine.run(PKG / "flows" / "state")
        assert result.outputs == {"calls": 2}

    def test_spawn_gives_each_node_its_own_worker(self, engine):
        result = engine.run(PKG / "flows" / "spawn")
        assert result.status == "completed", result.error
        assert result.outputs == {"calls": 1}  # not 2: the second node's module is new

    def test_one_worker_runs_several_jobs_at_once(self, engine):
        result = engine.run(PKG / "flows" / "parallel")
        assert result.status == "completed", result.error
        pids = {results_of(result, n)[0]["pid"] for n in "abc"}
        assert len(pids) == 1
        assert max_overlap([intervals(result, n)[0] for n in "abc"]) == 3

    def test_return_value_that_is_not_an_object_fails(self, engine):
        result = engine.run(TASKS / "bad_return")
        assert result.status == "failed"
        assert "return value must be an object" in result.error


class TestValues:
    def test_json_crosses_python_and_typescript_both_ways(self, run_flow):
        assert run_flow(PKG / "flows" / "mixed").outputs == {"text": "sum=33 (int)"}

    def test_a_node_value_reaches_the_next_node_block_by_reference(self, engine):
        result = engine.run(PKG / "flows" / "node_values")
        assert result.status == "completed", result.error
        assert result.outputs == {"answer": 42}
        [output] = events(result, "BlockFinished", "make")[0]["result"].values()
        assert output["__OOMOL_TYPE__"] == "oomol/var"
        assert output["value"]["executor"] == "nodejs"

    def test_oomol_bin_arrives_as_a_buffer_and_a_returned_buffer_becomes_a_file(
            self, run_block, tmp_path):
        source = tmp_path / "in.bin"
        source.write_bytes(b"abc")
        result = run_block(TASKS / "bin_reverse", inputs={
            "data": {"__OOMOL_TYPE__": "oomol/bin", "value": str(source)}})
        assert result.outputs["was_buffer"] is True
        wrapper = result.outputs["reversed"]
        assert wrapper["__OOMOL_TYPE__"] == "oomol/bin"
        assert Path(wrapper["value"]).read_bytes() == b"cba"

    def test_a_python_value_sent_to_a_node_block_fails_naming_both(self, engine):
        result = engine.run(PKG / "flows" / "foreign_value")
        assert result.nodes["read"] == "failed"
        assert "Python value" in result.error and "Node.js block" in result.error


    def test_secret_placeholders_are_resolved_for_node_blocks(self, engine, tmp_path):
        block = tmp_path / "secretive"
        block.mkdir()
        (block / "task.oo.yaml").write_text(
            "executor: {name: nodejs, options: {entry: main.ts}}\n"
            "inputs_def: [{handle: key, json_schema: {type: string}}]\n"
            "outputs_def: [{handle: length}]\n")
        (block / "main.ts").write_text(
            "export default (p: { key: string }) => ({ length: p.key.length });\n")
        result = engine.run(block, inputs={"key": "${{OO_SECRET:Custom,db,password}}"},
                            secrets_file=FLOWS / "secrets" / "secrets.json")
        assert result.outputs == {"length": len("hunter2")}


class TestFailures:
    def test_a_thrown_error_fails_the_node_with_message_and_typescript_line(self, engine):
        result = engine.run(TASKS / "throws")
        assert result.status == "failed"
        error = node_outcome(result, "throws")["error"]
        assert "Error: boom from typescript" in error
        assert "main.ts:2" in error  # source maps: the line in the .ts file
        assert "worker.mjs" not in error

    @pytest.mark.parametrize("how, cause", [
        ("exit", "process.exit(3)"),
        ("reject", "unhandled promise rejection"),
        ("throw_later", "uncaught exception"),
    ])
    def test_a_crash_fails_the_job_with_its_cause_and_the_worker_is_replaced(
            self, engine, how, cause):
        result = engine.run(TASKS / "crash", inputs={"how": how}, session_id=f"crash-{how}")
        assert result.status == "failed"
        assert result.nodes["crash"] == "crashed"
        assert cause in result.error
        # The next job in the same session gets a new worker.
        again = engine.run(TASKS / "add", inputs={"a": 1, "b": 1}, session_id=f"crash-{how}")
        assert again.outputs == {"sum": 2}

    def test_the_node_timeout_ends_an_infinite_loop(self, engine):
        result = engine.run(PKG / "flows" / "timeout")
        assert result.nodes["spin"] == "timeout"
        assert engine.run(TASKS / "square", inputs={"n": 3}).outputs == {"squared": 9}


class TestShell:
    def test_a_shell_command_with_cwd_and_envs(self, engine):
        result = engine.run(PKG / "flows" / "shell")
        assert result.status == "completed", result.error
        assert result.outputs == {"stdout": "hello from scriptlets\n"}
        assert "to-stderr" in log_lines(result, "ok")

    def test_a_failing_command_fails_its_node_with_the_exit_code(self, tmp_path):
        block = tmp_path / "fail"
        block.mkdir()
        (block / "task.oo.yaml").write_text(
            "executor: {name: shell}\ninputs_def: [{handle: command}]\n"
            "outputs_def: [{handle: stdout}, {handle: stderr}]\n")
        result = oocana_local.run(block, inputs={"command": "echo nope >&2; exit 4"})
        assert result.status == "failed"
        assert "exit code 4" in result.error and "nope" in result.error


class TestCli:
    def test_run_a_mixed_flow_from_the_command_line(self):
        proc = subprocess.run(cli("run", str(PKG / "flows" / "mixed"), "--json"), cwd=REPO,
                              env=cli_env(), capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        summary = json.loads(proc.stdout)
        assert summary["outputs"] == {"text": "sum=33 (int)"}

    def test_node_missing_says_how_to_get_it(self, tmp_path):
        env = cli_env()
        env["PATH"] = str(tmp_path)  # no node here
        env["OOCANA_LOCAL_NODE"] = str(tmp_path / "node")  # and none where it points
        proc = subprocess.run(cli("run", str(TASKS / "square"), "--inputs", '{"n": 2}'),
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode != 0
        assert "Node.js blocks need `node`" in proc.stdout + proc.stderr

    def test_check_reports_a_syntax_error_with_file_and_line(self, tmp_path):
        block = tmp_path / "broken"
        block.mkdir()
        (block / "task.oo.yaml").write_text(
            "executor: {name: nodejs, options: {entry: main.ts}}\n")
        (block / "main.ts").write_text("export default function () {\n  const x: number = ;\n}\n")
        proc = subprocess.run(cli("check", str(block)), cwd=REPO, env=cli_env(),
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2
        assert f"{block / 'main.ts'}:2: error: syntax error" in proc.stderr

    def test_run_names_a_missing_npm_package_and_suggests_bootstrap(self, tmp_path):
        block = tmp_path / "needs_npm"
        block.mkdir()
        (block / "task.oo.yaml").write_text(
            "executor: {name: nodejs, options: {entry: main.ts}}\n")
        (block / "main.ts").write_text('import dayjs from "dayjs";\n'
                                       "export default () => ({});\n")
        proc = subprocess.run(cli("run", str(block)), cwd=REPO, env=cli_env(),
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2
        assert "npm package 'dayjs' is not installed" in proc.stderr
        assert "oocana-local bootstrap" in proc.stderr


def _node_children(pid: int) -> set[int]:
    """Node processes anywhere below ``pid``."""
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                todo.append(int(entry))
                if "(node)" in stat or "(MainThread)" in stat:
                    found.add(int(entry))
    return found


class TestDev:
    def test_dev_reruns_on_a_saved_ts_file_and_ctrl_c_leaves_no_node_process(self, tmp_path):
        block = tmp_path / "watched"
        block.mkdir()
        (block / "task.oo.yaml").write_text(
            "executor: {name: nodejs, options: {entry: main.ts}}\noutputs_def: [{handle: v}]\n")
        (block / "main.ts").write_text("export default () => ({ v: 1 as number });\n")
        proc = subprocess.Popen([sys.executable, "-m", "oocana_local", "dev", str(block),
                                 "--json-lines"], cwd=REPO, env=cli_env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        nodes: set[int] = set()
        try:
            first = json.loads(proc.stdout.readline())
            assert first["status"] == "completed" and first["outputs"] == {"v": 1}
            nodes = _node_children(proc.pid)
            assert nodes  # the warm Node worker
            time.sleep(0.8)  # the watcher starts right after the first run
            (block / "main.ts").write_text("export default () => ({ v: 2 as number });\n")
            second = json.loads(proc.stdout.readline())
            assert second["outputs"] == {"v": 2}
            nodes |= _node_children(proc.pid)
            proc.send_signal(signal.SIGINT)
            assert proc.wait(60) == 130
        finally:
            if proc.poll() is None:
                proc.kill()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in nodes):
            time.sleep(0.05)
        assert not [p for p in nodes if Path(f"/proc/{p}").exists()]


class TestBootstrap:
    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(cli("bootstrap", *args), cwd=REPO, env=cli_env(),
                              capture_output=True, text=True, timeout=300)

    def test_the_package_script_replaces_the_default_steps(self, tmp_path):
        (tmp_path / "package.oo.yaml").write_text(
            "name: scripted\nscripts:\n  bootstrap: echo installing > marker.txt\n")
        (tmp_path / "package.json").write_text('{"name": "scripted", "private": true}\n')
        proc = self.run(str(tmp_path))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert (tmp_path / "marker.txt").read_text() == "installing\n"
        assert "[1/1] scripts.bootstrap" in proc.stdout
        assert "npm install" not in proc.stdout
        assert "1 of 1 step(s) done" in proc.stdout

    def test_npm_and_pip_steps_with_a_summary(self, tmp_path):
        (tmp_path / "package.oo.yaml").write_text("name: plain\n")
        (tmp_path / "package.json").write_text('{"name": "plain", "private": true}\n')
        (tmp_path / "requirements.txt").write_text("# nothing needed\n")
        proc = self.run(str(tmp_path))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "npm install" in proc.stdout and "pip install" in proc.stdout
        assert "2 of 2 step(s) done" in proc.stdout

    def test_a_failing_step_fails_the_command(self, tmp_path):
        (tmp_path / "package.oo.yaml").write_text(
            "name: broken\nscripts:\n  bootstrap: exit 3\n")
        proc = self.run(str(tmp_path))
        assert proc.returncode == 1
        assert "FAILED scripts.bootstrap" in proc.stdout and "exit code 3" in proc.stdout

    def test_a_missing_python_module_names_the_install_that_brings_it(self, engine, tmp_path):
        block = tmp_path / "needs_pip"
        block.mkdir()
        (block / "block.oo.yaml").write_text(
            "executor: {name: python, options: {entry: main.py}}\n")
        (block / "main.py").write_text("import surely_not_installed_xyz\n\n"
                                       "def main(params):\n    return {}\n")
        result = engine.run(block)
        assert result.status == "failed"
        assert "Python module 'surely_not_installed_xyz' is not installed" in result.error
        # Not declared: bootstrap would not install it, so the hint says what would.
        assert "`pip install surely_not_installed_xyz`" in result.error
        assert f"list surely_not_installed_xyz in {block / 'requirements.txt'}" in result.error

    def test_a_declared_python_module_suggests_bootstrap(self, engine, tmp_path):
        block = tmp_path / "declares"
        block.mkdir()
        (block / "requirements.txt").write_text("# what the blocks need\nsurely-not-installed-xyz>=1\n")
        (block / "block.oo.yaml").write_text(
            "executor: {name: python, options: {entry: main.py}}\n")
        (block / "main.py").write_text("import surely_not_installed_xyz\n\n"
                                       "def main(params):\n    return {}\n")
        result = engine.run(block)
        assert result.status == "failed"
        assert f"run `oocana-local bootstrap {block}` to install" in result.error
        assert "pip install" not in result.error
