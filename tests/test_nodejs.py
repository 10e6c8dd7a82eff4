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
        # one session for both runs (the same warm worker); its id unique on the machine
        session = f"reload-{os.getpid()}-{id(tmp_path)}"
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


NPM_PACKAGES = ("dayjs", "lodash", "nanoid")


@pytest.fixture(scope="session")
def npm_packages() -> None:
    """The test package's npm dependencies (its package.json), installed as users install
    them: ``oocana-local bootstrap``. CI has bootstrapped the package already; elsewhere
    this runs it once, and a failed install fails the tests that need it."""
    def missing() -> list[str]:
        return [n for n in NPM_PACKAGES if not (PKG / "node_modules" / n / "package.json").is_file()]

    if missing():
        proc = subprocess.run(cli("bootstrap", str(PKG)), cwd=REPO, env=cli_env(),
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, ("`oocana-local bootstrap tests/flows/nodejs` failed (it "
                                      f"needs the npm registry):\n{proc.stdout}{proc.stderr}")
    assert not missing(), f"npm packages still missing after bootstrap: {missing()}"


class TestResolution:
    """Imports resolve as esbuild resolves them when OOMOL bundles a block."""

    @pytest.mark.parametrize("block", ["npm_subpaths", "npm_subpaths_js"])
    def test_package_subpaths_without_extension_and_folder_imports(
            self, run_block, npm_packages, block):
        # dayjs/plugin/utc: CommonJS, no `exports`; lodash/fp: a file and a folder;
        # nanoid/non-secure: through `exports`; ./lib (a folder) or ./lib/label (no .js).
        result = run_block(TASKS / block, inputs={"iso": "2024-03-01T12:30:00+02:00"})
        assert result.outputs == {"utc": "UTC 2024-03-01 10:30", "upper": ["A", "B"],
                                  "id_length": 8}

    @pytest.mark.parametrize("block", ["npm_subpaths", "cjs_ts"])
    def test_check_accepts_package_subpaths_and_export_assignment(self, npm_packages, block):
        proc = subprocess.run(cli("check", str(TASKS / block)), cwd=REPO, env=cli_env(),
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr

    def test_typescript_written_as_commonjs(self, run_block):
        # `export =`, `import x = require("./shout")` of a .ts file, __filename
        result = run_block(TASKS / "cjs_ts", inputs={"text": "hi"})
        assert result.outputs == {"out": f"HI!{os.sep}", "file": "main.ts"}

    def test_tsconfig_paths_and_base_url_with_extends(self, run_block, tmp_path):
        pkg = tmp_path / "mapped"
        (pkg / "src" / "shared" / "math").mkdir(parents=True)
        (pkg / "src" / "util").mkdir()
        (pkg / "blocks" / "use").mkdir(parents=True)
        (pkg / "package.oo.yaml").write_text("name: mapped\n")
        (pkg / "tsconfig.base.json").write_text(
            '{"compilerOptions": {"baseUrl": ".", "paths": {\n'
            '  "@shared/*": ["src/shared/*"],\n'
            '  "config": ["src/config.ts"],  // shadows any npm package named config\n'
            "}}}\n")
        (pkg / "tsconfig.json").write_text('{\n  /* settings live in the base */\n'
                                           '  "extends": "./tsconfig.base.json",\n}\n')
        (pkg / "src" / "shared" / "math" / "index.ts").write_text(
            "export const square = (n: number): number => n * n;\n")
        (pkg / "src" / "config.ts").write_text("export const unit: string = 'cm';\n")
        (pkg / "src" / "util" / "text.ts").write_text(
            "export const show = (n: number, u: string): string => `${n} ${u}`;\n")
        use = pkg / "blocks" / "use"
        (use / "task.oo.yaml").write_text(
            "executor: {name: nodejs, options: {entry: main.ts}}\n"
            "inputs_def: [{handle: n}]\noutputs_def: [{handle: text}]\n")
        (use / "main.ts").write_text(
            'import { square } from "@shared/math";\n'  # paths, then a folder
            'import { unit } from "config";\n'  # an exact paths key
            'import { show } from "src/util/text";\n'  # baseUrl
            "export default (p: { n: number }) => ({ text: show(square(p.n), unit) });\n")
        assert run_block(use, inputs={"n": 3}).outputs == {"text": "9 cm"}
        proc = subprocess.run(cli("check", str(use)), cwd=REPO, env=cli_env(),
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr  # no "npm package ... missing"


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

    def test_child_process_output_reaches_the_job_that_started_it(self, engine):
        # Two jobs run at once on one worker (they wait for each other), each starting
        # children with inherited stdio: execSync, then spawn printing on both streams.
        result = engine.run(PKG / "flows" / "child_output")
        assert result.status == "completed", result.error
        for tag, other in (("a", "b"), ("b", "a")):
            lines = log_lines(result, tag)
            for line in (f"sync child of {tag}", f"async child of {tag}",
                         f"stderr child of {tag}"):
                assert line in lines, (tag, lines)
            assert not [line for line in lines if line.endswith(f" of {other}")], (tag, lines)
            stdio = {e["log"].rstrip(): e["stdio"] for e in events(result, "BlockLog", tag)}
            assert stdio[f"stderr child of {tag}"] == "stderr"
            assert stdio[f"async child of {tag}"] == "stdout"
            # The block sees what inherited stdio gives: no stream of the child's stdout.
            assert results_of(result, tag) == [{"stdout_stream": False}]

    def test_child_processes_started_every_way_log_to_their_job(self, run_block):
        result = run_block(TASKS / "child_kinds")
        assert result.outputs["seen"] == {
            "fork_stdout": None, "spawnSync": [0, None, None], "execFileSync": None,
            "failed": [3, None], "piped": "piped as asked"}
        lines = log_lines(result.run, "child_kinds")
        for line in ("forked child prints", "forked child prints again", "spawnSync out",
                     "spawnSync err", "execFileSync out", "failing out"):
            assert line in lines, lines
        assert "piped as asked" not in lines  # the block asked for that output itself

    @pytest.mark.usefixtures("typescript_installed")
    def test_reporting_methods_return_promises_as_in_oocana_node(self, engine, tmp_path,
                                                                 monkeypatch):
        # What oocana.d.ts declares (the @oomol/types signatures) is what the worker does.
        monkeypatch.setenv("OOMOL_HOST_GPU_VENDOR", "acme")
        block = tmp_path / "promised"
        block.mkdir()
        (block / "task.oo.yaml").write_text(
            "executor: {name: nodejs, options: {entry: main.ts}}\n"
            "outputs_def: [{handle: first}, {handle: vendor}, {handle: kinds}]\n")
        (block / "main.ts").write_text(
            'import type { Context } from "@oomol/types/oocana";\n'
            "export default async function (_: {}, context: Context) {\n"
            '  await context.output("first", 1);\n'
            "  const kinds = await Promise.all([context.reportProgress(50),\n"
            '    context.reportLog("x"), context.preview({ type: "text", data: "t" }),\n'
            '    context.warning("w"), context.logJSON({}), context.sendMessage(1)]);\n'
            '  return { vendor: context.hostInfo.gpuVendor, kinds: kinds.map((k) => typeof k) };\n'
            "}\n")
        assert oocana_local.check(block) == []  # it type-checks against oocana.d.ts
        result = engine.run(block)
        assert result.status == "completed", result.error
        assert result.outputs == {"first": 1, "vendor": "acme",
                                  "kinds": ["undefined"] * 6}

    def test_return_value_that_is_not_an_object_fails(self, engine):
        result = engine.run(TASKS / "bad_return")
        assert result.status == "failed"
        assert "return value must be an object" in result.error


class TestValues:
    def test_json_crosses_python_and_typescript_both_ways(self, run_flow):
        assert run_flow(PKG / "flows" / "mixed").outputs == {"text": "sum=33 (int)"}

    def test_values_keep_what_json_makes_of_them_both_ways(self, engine, tmp_path):
        block = tmp_path / "echo"
        block.mkdir()
        (block / "task.oo.yaml").write_text(
            "executor: {name: nodejs, options: {entry: main.ts}}\n"
            "inputs_def: [{handle: ints}, {handle: floats}, {handle: text}, {handle: nested},"
            " {handle: pair}, {handle: twice}]\n"
            "outputs_def: [{handle: seen}, {handle: echo}, {handle: made}]\n")
        (block / "main.ts").write_text(
            "const kind = (v: unknown) => Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;\n"
            "export default (p: Record<string, any>) => (p.twice.a.push(9), {\n"
            "  seen: Object.fromEntries(Object.entries(p).map(([k, v]) => [k, kind(v)])),\n"
            "  echo: { ...p, own: Object.keys(p.nested as object) },\n"
            "  made: { date: new Date(0), nan: NaN, inf: -Infinity, neg0: -0, big: 2 ** 53 + 2,\n"
            "          huge: 1e21, skipped: undefined, list: [1.5, 'é😀'] },\n"
            "});\n")
        text = "é😀" + "x" * 300
        nested = {"__proto__": {"x": 1}, "empty": [[], {}], "none": None, "yes": True}
        shared = [1]  # one object twice: two in the block, as JSON would make them
        result = engine.run(block, inputs={
            "ints": [1, -1, 2**31, 2**63, -2**70], "floats": [1.5, float("nan"), float("inf")],
            "text": text, "nested": nested, "pair": (1, 2), "twice": {"a": shared, "b": shared}})
        assert result.status == "completed", result.error
        out = result.outputs
        assert out["seen"] == {"ints": "array", "floats": "array", "text": "string",
                               "nested": "object", "pair": "array", "twice": "object"}
        # Numbers as JSON carries them: past 2**53 as the nearest double, past 1e21 a float.
        assert out["echo"] == {"ints": [1, -1, 2**31, 9223372036854776000, -2.0**70],
                               "floats": [1.5, None, None], "text": text, "nested": nested,
                               "pair": [1, 2], "twice": {"a": [1, 9], "b": [1]},
                               "own": ["__proto__", "empty", "none", "yes"]}
        assert out["made"] == {"date": "1970-01-01T00:00:00.000Z", "nan": None, "inf": None,
                               "neg0": 0, "big": 2**53 + 2, "huge": 1e21,
                               "list": [1.5, "é😀"]}
        assert type(out["made"]["neg0"]) is int and type(out["made"]["huge"]) is float
        assert type(out["echo"]["ints"][-1]) is float

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


TYPED_BLOCK = '''import type { Context } from "@oomol/types/oocana";
//#region generated meta
type Inputs = { a: number; name: string };
type Outputs = { sum: number; greeting: string };
//#endregion

export default async function (
  params: Inputs,
  context: Context<Inputs, Outputs>,
): Promise<Partial<Outputs> | undefined | void> {
  await context.reportProgress(10);
  context.output("greeting", `hello, ${params.name}`);
  context.preview({ type: "markdown", data: "# done" });
  const info = await context.queryBlock("self::other");
  context.reportLog(`${info.inputs_def.length} inputs, on ${context.hostInfo.gpuVendor}`);
  const token: string = await context.getOomolToken();
  return { sum: params.a + token.length };
}
'''


def ts_block(root: Path, name: str, source: str) -> Path:
    block = root / name
    block.mkdir(parents=True)
    (block / "task.oo.yaml").write_text(
        "executor: {name: nodejs, options: {entry: main.ts}}\n"
        "inputs_def: [{handle: a}, {handle: name}]\n"
        "outputs_def: [{handle: sum}, {handle: greeting}]\n")
    (block / "main.ts").write_text(source)
    return block


@pytest.fixture(scope="module")
def typescript_installed():
    """The type checks need tsc in the tools cache: CI installs it up front (.ci/run runs
    `bootstrap --node-tools`), so its absence is a setup error, not something to skip."""
    from oocana_local.node_tools import find_typescript

    assert find_typescript() is not None, (
        "typescript is not in the Node.js tools cache: run "
        "`python -m oocana_local bootstrap --node-tools tests/flows/nodejs` first")


@pytest.mark.usefixtures("typescript_installed")
class TestTypeCheck:
    def check(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(cli("check", *args), cwd=REPO, env=cli_env(),
                              capture_output=True, text=True, timeout=600)

    def test_a_type_error_fails_check_with_file_line_column_and_code(self, tmp_path):
        (tmp_path / "package.oo.yaml").write_text("name: typed\n")
        ts_block(tmp_path / "tasks", "good", TYPED_BLOCK)
        block = ts_block(tmp_path / "tasks", "bad",
                         'import dayjs from "dayjs";\nimport { n } from "./helper";\n'
                         'export default function () {\n'
                         '  const x: number = "a";\n  return { sum: x + n };\n}\n')
        (block / "helper.ts").write_text('import pad from "left-pad-nowhere";\n'
                                         "export const n: number = pad;\n")
        proc = self.check(str(tmp_path))
        assert proc.returncode == 2, proc.stdout + proc.stderr
        main = block / "main.ts"
        assert (f"{main}:4:9: error TS2322: Type 'string' is not assignable to type "
                "'number'.") in proc.stderr.splitlines()
        # The missing npm package of the entry is named once, by the npm check, with its
        # hint; the one of a file it imports (which that check does not read) by tsc.
        assert f"{main}:1: error: npm package 'dayjs' is not installed" in proc.stderr
        assert "'dayjs' or its corresponding" not in proc.stderr
        assert (f"{block / 'helper.ts'}:1:17: error TS2307: Cannot find module "
                "'left-pad-nowhere'") in proc.stderr
        assert "good" not in proc.stderr  # one program for both blocks; only bad is wrong
        assert "3 error(s)" in proc.stderr

        skipped = self.check("--no-types", str(tmp_path))
        assert skipped.returncode == 2  # the npm package is still missing
        assert "TS2322" not in skipped.stderr and "1 error(s)" in skipped.stderr

    def test_a_block_typed_with_the_oomol_context_passes_offline(self, tmp_path):
        # No @oomol/types installed, and the tsconfig.json of OOMOL's template extends a
        # file of that package: the types shipped with oocana-local stand in.
        (tmp_path / "package.oo.yaml").write_text("name: typed\n")
        (tmp_path / "tsconfig.json").write_text(
            '{\n  // as OOMOL writes it\n  "extends": "@oomol/types/tsconfig.oomol.json",\n'
            '  "compilerOptions": {"paths": {"~/*": ["./*"]}}\n}\n')
        (tmp_path / "lib").mkdir()
        (tmp_path / "lib" / "twice.ts").write_text(
            "export const twice = (n: number): number => n * 2;\n")
        ts_block(tmp_path / "tasks", "typed", TYPED_BLOCK.replace(
            "return { sum: params.a + token.length };",
            "return { sum: twice(params.a) + token.length };").replace(
            "//#region", 'import { twice } from "~/lib/twice";\n//#region'))
        proc = self.check(str(tmp_path))
        assert proc.returncode == 0, proc.stderr
        assert "all manifests are valid" in proc.stdout

    def test_the_package_tsconfig_is_honoured_as_written(self, tmp_path):
        (tmp_path / "package.oo.yaml").write_text("name: loose\n")
        source = ("export default function (params) {\n  const unused = 1;\n"
                  "  return { sum: params.a };\n}\n")
        ts_block(tmp_path, "loose", source)
        # No tsconfig.json: strict, as OOMOL's template.
        strict = oocana_local.check(tmp_path)
        assert [(p.code, p.location.line, p.location.column) for p in strict] == [
            ("TS7006", 1, 26)]
        assert "implicitly has an 'any' type" in strict[0].message
        # Its own tsconfig.json: not strict (TypeScript's default), but no unused locals.
        (tmp_path / "tsconfig.json").write_text('{"compilerOptions": {"noUnusedLocals": true}}\n')
        assert [(p.code, p.location.line) for p in oocana_local.check(tmp_path)] == [
            ("TS6133", 2)]


    def test_blocks_of_other_packages_are_not_type_checked(self, tmp_path):
        # A flow of `mine` uses a block of the installed package `other`, whose types are
        # wrong: that is for `other`'s authors (checking `other` itself reports it).
        other = tmp_path / "packages" / "other"
        (other / "tasks").mkdir(parents=True)
        (other / "package.oo.yaml").write_text("name: other\n")
        ts_block(other / "tasks", "sloppy", "export default () => {\n"
                 "  const n: number = 'x';\n  return { sum: n };\n}\n")
        mine = tmp_path / "mine"
        (mine / "flows" / "use").mkdir(parents=True)
        (mine / "package.oo.yaml").write_text("name: mine\n")
        (mine / "flows" / "use" / "flow.oo.yaml").write_text(
            "nodes:\n  - node_id: s\n    task: other::sloppy\n"
            "    inputs_from: [{handle: a, value: 1}, {handle: name, value: x}]\n")
        search = ["--search-paths", str(tmp_path / "packages")]
        proc = self.check(*search, str(mine))
        assert proc.returncode == 0, proc.stderr
        proc = self.check(*search, str(other))
        assert proc.returncode == 2
        assert f"{other / 'tasks' / 'sloppy' / 'main.ts'}:2:9: error TS2322" in proc.stderr


class TestOfflineTools:
    """No registry: npm points at a closed port and the tools cache is empty."""

    @pytest.fixture
    def offline_env(self, tmp_path):
        env = cli_env()
        env.update({"OOCANA_LOCAL_NODE_TOOLS": str(tmp_path / "tools"),
                    "npm_config_registry": "http://127.0.0.1:9",
                    "npm_config_fetch_retries": "0",  # fail at once, not after a minute
                    "npm_config_cache": str(tmp_path / "npm-cache")})
        for name in ("OOCANA_LOCAL_ESBUILD", "OOCANA_LOCAL_TYPESCRIPT"):
            env.pop(name, None)
        return env

    def test_bootstrap_says_what_it_needs_and_how_to_get_it(self, offline_env):
        proc = subprocess.run(cli("bootstrap", "--node-tools", str(TASKS / "square")),
                              cwd=REPO, env=offline_env, capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 1
        [line] = [x for x in proc.stdout.splitlines() if "FAILED" in x]
        assert "esbuild (it compiles TypeScript blocks) and typescript" in line
        assert "could not be installed from the npm registry (no network? " in line
        assert "127.0.0.1:9" in line
        assert "run `oocana-local bootstrap --node-tools` where the registry is reachable" in line
        assert "$OOCANA_LOCAL_NODE_TOOLS" in line

    def test_check_and_the_first_typescript_job_say_it_too(self, offline_env, tmp_path):
        block = ts_block(tmp_path, "offline", "export default () => ({ sum: 1 as number });\n")
        proc = subprocess.run(cli("check", str(block)), cwd=REPO, env=offline_env,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 2
        assert "TypeScript blocks were not type-checked: esbuild (it compiles TypeScript " \
               "blocks) and typescript" in proc.stderr
        assert "could not be installed from the npm registry (no network?" in proc.stderr
        assert "--no-types" in proc.stderr

        proc = subprocess.run(cli("run", str(block), "--json", "--inputs",
                                  '{"a": 1, "name": "x"}'), cwd=REPO, env=offline_env,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 1
        error = json.loads(proc.stdout)["error"]
        assert "esbuild (it compiles TypeScript blocks) could not be installed from the " \
               "npm registry (no network?" in error
        assert "oocana-local bootstrap --node-tools" in error
