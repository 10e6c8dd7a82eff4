"""Watch mode: ``DevSession`` (the Python API ``oocana-local dev`` wraps) re-runs what an
edit affects and reuses the rest; the CLI ends cleanly on Ctrl-C."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from helpers import REPO
from test_cache import add_code, edit, make_chain, write_block

from oocana_local.devmode import DevRun, DevSession

TIMEOUT = 60  # generous: the machine is shared


class Driver:
    """Runs a DevSession in a thread; ``next_run()`` waits for the next finished run."""

    def __init__(self, path: Path, **kwargs):
        self.runs: queue.Queue[DevRun] = queue.Queue()
        self.session = DevSession(path, on_run=self.runs.put, **kwargs)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.session.watch, args=(self.stop,),
                                       daemon=True)
        self.thread.start()

    def next_run(self) -> DevRun:
        run = self.runs.get(timeout=TIMEOUT)
        assert self.session.watching.wait(TIMEOUT)
        time.sleep(0.1)  # let the watcher settle before the next edit
        return run

    def close(self) -> None:
        self.stop.set()
        self.thread.join(TIMEOUT)
        assert not self.thread.is_alive()
        self.session.close()


@pytest.fixture
def chain(tmp_path):
    flow, names = make_chain(tmp_path, 4)
    driver = Driver(flow, search_paths=[])
    yield tmp_path, flow, names, driver
    driver.close()


def test_edit_reruns_only_the_changed_node(chain):
    root, flow, names, dev = chain
    first = dev.next_run()
    assert first.number == 1 and first.status == "completed"
    assert first.reran == names and first.reused == []
    assert first.result.outputs == {"out": 10}

    last = root / "blocks" / names[-1] / "main.py"
    edit(last, add_code(40))
    second = dev.next_run()
    assert second.changed == [str(last)]
    assert second.reran == [names[-1]] and second.reused == names[:-1]
    assert second.result.outputs == {"out": 46}

    # a syntax error is shown as the node's failure, and the watch goes on
    edit(last, "def main(params, context)\n    return {'out': 1}\n")
    broken = dev.next_run()
    assert broken.status == "failed" and "SyntaxError" in broken.result.error
    assert broken.reused == names[:-1]
    assert dev.thread.is_alive()

    edit(last, add_code(400))
    fixed = dev.next_run()
    assert fixed.status == "completed" and fixed.result.outputs == {"out": 406}
    assert fixed.reran == [names[-1]] and fixed.reused == names[:-1]

    # a changed upstream block re-runs itself and what it feeds
    edit(root / "blocks" / names[1] / "main.py", add_code(2000))
    middle = dev.next_run()
    assert middle.reused == names[:1] and middle.reran == names[1:]
    assert middle.result.outputs == {"out": 2404}


def test_manifest_edits_replan_and_broken_manifests_wait(chain):
    root, flow, names, dev = chain
    dev.next_run()
    manifest = flow / "flow.oo.yaml"
    good = manifest.read_text()
    edit(manifest, good.replace("{handle: x, value: 0}", "{handle: x, value: 100}"))
    replanned = dev.next_run()
    assert replanned.reran == names and replanned.result.outputs == {"out": 110}

    edit(manifest, good.replace("nodes:", "nodes: [\n"))
    broken = dev.next_run()
    assert broken.result is None and broken.status == "invalid"
    assert any(p.severity == "error" for p in broken.problems)
    assert dev.thread.is_alive()

    edit(manifest, good)
    back = dev.next_run()
    assert back.status == "completed" and back.result.outputs == {"out": 10}
    assert back.reused == names  # the first run's results, still in memory


def test_inputs_file_is_watched(tmp_path):
    write_block(tmp_path, "twice", "def main(params, context):\n"
                                   "    return {'out': params['x'] * 2}\n")
    block = tmp_path / "blocks" / "twice"
    inputs = tmp_path / "inputs.json"
    inputs.write_text('{"x": 2}')
    dev = Driver(block, inputs_file=inputs)
    try:
        assert dev.next_run().result.outputs == {"out": 4}
        edit(inputs, '{"x": 21}')
        assert dev.next_run().result.outputs == {"out": 42}
        edit(inputs, '{"x": ')
        bad = dev.next_run()
        assert bad.result is None and "not valid JSON" in bad.error
        edit(inputs, '{"x": 2}')
        again = dev.next_run()
        assert again.result.outputs == {"out": 4} and again.reused == ["twice"]
    finally:
        dev.close()


def _children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry))
    return found


def test_cli_dev_json_lines_and_ctrl_c(tmp_path):
    flow, names = make_chain(tmp_path, 3)
    proc = subprocess.Popen(
        [sys.executable, "-m", "oocana_local", "dev", str(flow), "--json-lines"], cwd=REPO,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = json.loads(proc.stdout.readline())
        assert first["run"] == 1 and first["status"] == "completed"
        assert first["reran"] == names and first["outputs"] == {"out": 6}
        time.sleep(0.8)  # the watcher starts right after the first run
        edit(tmp_path / "blocks" / names[-1] / "main.py", add_code(30))
        second = json.loads(proc.stdout.readline())
        assert second["reran"] == [names[-1]] and second["reused"] == names[:-1]
        assert second["outputs"] == {"out": 33}
        workers = _children(proc.pid)
        assert workers
        proc.send_signal(signal.SIGINT)
        assert proc.wait(TIMEOUT) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in workers):
        time.sleep(0.05)
    assert not [p for p in workers if Path(f"/proc/{p}").exists()]
