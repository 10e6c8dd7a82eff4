"""The command line never prints a traceback of the engine's own: each of these ends with
exit code 2 and one clear message. And ``..`` in a flow reached through a symlinked
folder means what the file system says it means."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid

import pytest
from helpers import FLOWS, REPO, cli_env
from test_cache import edit, write_block
from test_cli import json_summary, run_cli

from oocana_local.devmode import DevSession

SQUARE = ["run", "blocks/square", "--inputs", '{"numbers": [1, 2]}']


def _no_traceback(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return proc.stderr


def _nested(depth: int) -> str:
    return '{"numbers": ' + "[" * depth + "]" * depth + "}"


def test_no_worker_can_start_out_of_file_descriptors():
    script = ("import resource, sys\n"
              "resource.setrlimit(resource.RLIMIT_NOFILE, (10, 10))\n"
              "from oocana_local.cli import main\n"
              f"sys.exit(main({SQUARE!r}))\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=cli_env(),
                          capture_output=True, text=True, timeout=120)
    err = _no_traceback(proc)
    assert "cannot start a worker process" in err
    assert "out of file descriptors" in err and "ulimit -n" in err


class TestBadEntries:
    def _block(self, tmp_path, entry: str):
        (tmp_path / "block.oo.yaml").write_text(
            f"executor: {{name: python, options: {{entry: '{entry}'}}}}\n"
            "outputs_def: [{handle: out}]\n")
        return tmp_path

    def test_a_file_name_too_long(self, tmp_path):
        block = self._block(tmp_path, "a" * 300 + ".py")
        err = _no_traceback(run_cli("run", str(block)))
        assert "block.oo.yaml:1: error: python entry file" in err
        assert "cannot be read: File name too long" in err
        assert "File name too long" in _no_traceback(run_cli("check", str(block)))

    def test_a_special_file(self, tmp_path):
        block = self._block(tmp_path, "/proc/self/mem")
        err = _no_traceback(run_cli("run", str(block)))
        assert "python entry file '/proc/self/mem' is not a regular file" in err
        assert "is not a regular file" in _no_traceback(run_cli("check", str(block)))


class TestBadArguments:
    @pytest.mark.parametrize("flag, value", [
        ("--inputs", _nested(5000)),  # beyond the recursion limit
        ("--inputs", _nested(500)),   # parses, but deeper than the engine takes
        ("--nodes-inputs", '{"square": ' + _nested(5000) + "}"),
    ], ids=["beyond-recursion-limit", "deeper-than-200", "nodes-inputs"])
    def test_inputs_nested_too_deeply(self, flag, value):
        err = _no_traceback(run_cli("run", "blocks/square", flag, value))
        assert f"{flag} nests lists or objects more than 200 levels deep" in err

    @pytest.mark.parametrize("count", ["0", "-3"])
    def test_max_workers_below_one(self, count):
        err = _no_traceback(run_cli(*SQUARE, "--max-workers", count))
        assert f"--max-workers must be 1 or more, got {count}" in err

    @pytest.mark.parametrize("command", ["serve", "mcp"])
    def test_max_workers_below_one_in_the_long_lived_commands(self, command):
        err = _no_traceback(run_cli(command, "blocks", "--max-workers", "0"))
        assert "--max-workers must be 1 or more, got 0" in err


class TestDevInputsFile:
    def test_a_file_directly_under_the_root(self):
        if not os.access("/", os.W_OK):
            pytest.skip("needs a writable / (CI and the dev machines run as root)")
        inputs = f"/oocana-local-test-{uuid.uuid4().hex}.json"
        with open(inputs, "w") as file:
            file.write('{"numbers": [3]}')
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "oocana_local", "dev", "blocks/square",
                 "--inputs-file", inputs, "--json-lines"],
                cwd=REPO, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True)
            try:
                first = proc.stdout.readline()
            finally:
                proc.terminate()
                _, err = proc.communicate(timeout=60)
        finally:
            os.unlink(inputs)
        assert json.loads(first)["status"] == "completed", err
        assert "Traceback" not in err and "Permission denied" not in err

    def test_only_the_file_is_watched_not_its_folder(self, tmp_path):
        write_block(tmp_path / "pkg", "twice", "def main(params, context):\n"
                                               "    return {'out': params['x'] * 2}\n")
        inputs = tmp_path / "inputs.json"
        inputs.write_text('{"x": 2}')
        runs: queue.Queue = queue.Queue()
        session = DevSession(tmp_path / "pkg" / "blocks" / "twice", inputs_file=inputs,
                             on_run=runs.put)
        assert inputs in session.watch_paths() and tmp_path not in session.watch_paths()
        stop = threading.Event()
        thread = threading.Thread(target=session.watch, args=(stop,), daemon=True)
        thread.start()
        try:
            assert runs.get(timeout=60).result.outputs == {"out": 4}
            assert session.watching.wait(60)
            time.sleep(0.2)
            (tmp_path / "unrelated.py").write_text("x = 1\n")
            (tmp_path / "other.oo.yaml").write_text("nodes: []\n")
            with pytest.raises(queue.Empty):  # unrelated files next to it start no run
                runs.get(timeout=1.5)
            edit(inputs, '{"x": 21}')
            assert runs.get(timeout=60).result.outputs == {"out": 42}
            assert session.watching.wait(60)
            time.sleep(0.2)
            edit(inputs, '{"x": 5}')  # still watched after the first change
            assert runs.get(timeout=60).result.outputs == {"out": 10}
        finally:
            stop.set()
            thread.join(60)
            session.close()


class TestSymlinkedFolders:
    @pytest.mark.parametrize("flow", ["chain", "cache_edge"])  # ../blocks/add, ../values/..
    def test_dot_dot_follows_the_link(self, tmp_path, flow):
        link = tmp_path / "link"
        link.symlink_to(FLOWS / flow, target_is_directory=True)
        proc = run_cli("run", str(link), "--json")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert json_summary(proc)["status"] == "completed"
