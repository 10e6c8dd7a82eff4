"""A secret a block received appears in nothing that leaves its worker, whatever the
block does with it; a downstream block still receives the real value.

Each leak path runs through the CLI (``--secrets``, ``--json``, ``--events``,
``--previews``, ``--use-cache``); the secret must be absent from stdout, stderr, the
events file, every saved preview and the cache folder, and show as ``******`` instead.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from helpers import FLOWS
from test_cli import json_summary, run_cli

FLOW = FLOWS / "secret_leaks"
SECRET = "tok-5150-zz"
DIGEST = hashlib.sha256(SECRET.encode()).hexdigest()


def _secrets(tmp_path):
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps({"api": {"secretType": "Custom", "secrets": [
        {"secretKey": "key", "value": SECRET}]}}))
    return path


def _everything(folder) -> str:
    return "\n".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def leaky_run(tmp_path_factory):
    """One ``--json`` run of the leaking flow, with events, previews and the disk cache."""
    tmp = tmp_path_factory.mktemp("leaks")
    events, previews, cache = tmp / "events.jsonl", tmp / "previews", tmp / "cache"
    proc = run_cli("run", str(FLOW), "--secrets", str(_secrets(tmp)), "--json",
                   "--events", str(events), "--previews", str(previews), "--use-cache",
                   "--cache-dir", str(cache), "--inputs", json.dumps({"digest": DIGEST}))
    records = [json.loads(line) for line in events.read_text().splitlines()]
    return proc, records, previews, cache


def _logs(records, node: str) -> list[str]:
    return [r["log"] for r in records if r["type"] == "BlockLog"
            and r["stacks"][-1]["node_id"] == node]


class TestEveryLeakPath:
    def test_the_flow_works_with_the_real_value(self, leaky_run):
        proc, _, _, _ = leaky_run
        summary = json_summary(proc)
        assert summary["status"] == "completed", proc.stderr
        assert summary["outputs"]["same"] is True  # the downstream block got the real value

    def test_the_secret_is_nowhere(self, leaky_run):
        proc, records, previews, cache = leaky_run
        assert SECRET not in proc.stdout + proc.stderr
        assert SECRET not in json.dumps(records)
        assert previews.is_dir() and SECRET not in _everything(previews)
        assert not cache.exists() or SECRET not in _everything(cache)

    @pytest.mark.parametrize("line", [
        "print: ******", "logging: ******", "logger: ******", "fd1: ******", "fd2: ******",
        "child: ******", "report_log: ******"])
    def test_each_log_path_shows_the_mask(self, leaky_run, line):
        assert [log for log in _logs(leaky_run[1], "leak") if log.endswith(line)]

    @pytest.mark.parametrize("type_, field, expected", [
        ("BlockWarning", "warning", "warning: ******"),
        ("BlockError", "error", "error: ******"),
        ("BlockLogJSON", "json", {"log_json": "******"}),
        ("BlockMessage", "payload", {"message": "******"}),
    ])
    def test_each_message_shows_the_mask(self, leaky_run, type_, field, expected):
        said = [r[field] for r in leaky_run[1] if r["type"] == type_]
        assert expected in said

    def test_previews_and_saved_preview_files_show_the_mask(self, leaky_run):
        _, records, previews, _ = leaky_run
        payloads = [r["payload"] for r in records if r["type"] == "BlockPreview"]
        assert {"type": "text", "data": "preview: ******"} in payloads
        assert {"type": "html", "data": "<p>******</p>"} in payloads
        assert "******" in _everything(previews)

    def test_outputs_are_masked_in_every_record(self, leaky_run):
        proc, records, _, _ = leaky_run
        assert json_summary(proc)["outputs"]["echo"] == "******"
        outputs = [r["output"] for r in records if r["type"] == "BlockOutput"]
        assert "******" in outputs
        results = [r.get("result") for r in records if r["type"] == "BlockFinished"]
        assert {"returned": {"nested": ["******"]}} in results

    def test_the_downstream_block_masks_what_it_prints(self, leaky_run):
        logs = _logs(leaky_run[1], "use")
        assert "downstream: ******" in logs and "downstream fd: ******" in logs

    def test_nodes_holding_a_secret_are_not_cached_on_disk(self, leaky_run):
        cache = leaky_run[3]
        assert not cache.exists() or not [p for p in cache.rglob("*.json")]


class TestFailures:
    @pytest.mark.parametrize("mode, said", [
        ("raise", "RuntimeError: could not log in with ******"),
        ("exit", "block call exit with message: bad token ******"),
    ])
    def test_exception_and_exit_messages_are_masked(self, tmp_path, mode, said):
        events = tmp_path / "events.jsonl"
        proc = run_cli("run", str(FLOW), "--secrets", str(_secrets(tmp_path)),
                       "--events", str(events), "--inputs", json.dumps({"mode": mode}))
        assert proc.returncode == 1
        assert SECRET not in proc.stdout + proc.stderr + events.read_text()
        assert said in proc.stdout + proc.stderr
        assert said in events.read_text()

    def test_the_terminal_view_masks_too(self, tmp_path):
        proc = run_cli("run", str(FLOW), "--secrets", str(_secrets(tmp_path)),
                       "--inputs", json.dumps({"digest": DIGEST}))
        assert proc.returncode == 0, proc.stderr
        assert SECRET not in proc.stdout + proc.stderr
        assert "******" in proc.stdout


def test_dev_json_lines_mask_outputs(tmp_path, monkeypatch):
    from oocana_local.devmode import DevSession

    monkeypatch.setenv("OOCANA_SECRETS_FILE", str(_secrets(tmp_path)))
    with DevSession(FLOW, inputs={"digest": DIGEST}) as session:
        run = session.run_once()
    line = json.dumps(run.summary())
    assert run.status == "completed" and SECRET not in line
    assert run.summary()["outputs"] == {"echo": "******", "same": True}
