"""The node cache: ``--use-cache`` / ``Engine.run(cache=...)`` reuse task results whose code,
manifest and inputs did not change (``oocana_local/runtime/cache.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO, events

from oocana_local.runtime.cache import NodeCache, default_cache_dir

BLOCK = """\
executor:
  name: python
  options:
    entry: main.py
inputs_def:
  - handle: x
    json_schema: {}
outputs_def:
  - handle: out
    json_schema: {}
"""


def write_block(root: Path, name: str, code: str) -> Path:
    folder = root / "blocks" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "block.oo.yaml").write_text(BLOCK)
    (folder / "main.py").write_text(code)
    return folder / "main.py"


def add_code(n: int) -> str:
    return f"def main(params, context):\n    return {{'out': params['x'] + {n}}}\n"


def write_flow(root: Path, names: list[str], *, start: int = 0) -> Path:
    """A chain ``names[0] -> names[1] -> ...``; the first node gets ``x = start`` statically
    and the flow output ``out`` is the last node's."""
    lines = ["outputs_def:", "  - handle: out", "    json_schema: {}", "nodes:"]
    for i, name in enumerate(names):
        lines += [f"  - node_id: {name}", f"    task: ../../blocks/{name}", "    inputs_from:"]
        if i == 0:
            lines.append(f"      - {{handle: x, value: {start}}}")
        else:
            lines.append(f"      - {{handle: x, from_node: [{{node_id: {names[i - 1]}, "
                         f"output_handle: out}}]}}")
    lines += ["outputs_from:", "  - handle: out",
              f"    from_node: [{{node_id: {names[-1]}, output_handle: out}}]"]
    flow = root / "flows" / "chain" / "flow.oo.yaml"
    flow.parent.mkdir(parents=True, exist_ok=True)
    flow.write_text("\n".join(lines) + "\n")
    return flow.parent


def make_chain(root: Path, n: int = 3) -> tuple[Path, list[str]]:
    names = [f"n{i}" for i in range(n)]
    for i, name in enumerate(names):
        write_block(root, name, add_code(i + 1))
    return write_flow(root, names), names


def edit(path: Path, text: str) -> None:
    """Write new content with a new mtime even on coarse clocks."""
    before = path.stat().st_mtime_ns
    path.write_text(text)
    if path.stat().st_mtime_ns == before:
        os.utime(path, ns=(before + 1_000_000, before + 1_000_000))


@pytest.fixture
def cache(tmp_path: Path) -> NodeCache:
    return NodeCache(tmp_path / "cache")


def test_second_run_reuses_every_node(engine, tmp_path, cache):
    flow, names = make_chain(tmp_path)
    first = engine.run(flow, cache=cache)
    assert first.ok and first.outputs == {"out": 6} and first.cached == []
    assert len(cache.entries()) == 3
    second = engine.run(flow, cache=cache)
    assert second.ok and second.outputs == {"out": 6}
    assert second.cached == names
    assert second.summary()["cached"] == names
    for type_ in ("BlockStarted", "BlockFinished"):
        assert all(e.get("cached") is True for e in events(second, type_))
    assert [e.get("result") for e in events(second, "BlockFinished")] == [
        {"out": 1}, {"out": 3}, {"out": 6}]


def test_streamed_outputs_are_replayed_in_order(engine, tmp_path, cache):
    write_block(tmp_path, "n0", "def main(params, context):\n"
                                "    for i in range(3):\n"
                                "        context.output('out', params['x'] + i)\n")
    write_block(tmp_path, "n1", add_code(100))
    flow = write_flow(tmp_path, ["n0", "n1"])
    first = engine.run(flow, cache=cache)
    second = engine.run(flow, cache=cache)
    assert second.cached == ["n0", "n1"]
    outputs = [(e["handle"], e["output"]) for e in events(second, "BlockOutput", "n0")]
    assert outputs == [("out", 0), ("out", 1), ("out", 2)]
    # n1 ran three times on the real run and is replayed three times too
    assert [e.get("result") for e in events(second, "BlockFinished", "n1")] == \
        [e.get("result") for e in events(first, "BlockFinished", "n1")]
    assert second.outputs == first.outputs == {"out": 102}


def test_input_change_reruns_the_node_and_what_it_changes(engine, tmp_path, cache):
    flow, names = make_chain(tmp_path)
    engine.run(flow, cache=cache)
    changed = engine.run(flow, cache=cache, nodes_inputs={"n0": {"x": 10}})
    assert changed.outputs == {"out": 16} and changed.cached == []
    again = engine.run(flow, cache=cache, nodes_inputs={"n0": {"x": 10}})
    assert again.cached == names


def test_code_change_reruns_that_node_and_downstream(engine, tmp_path, cache):
    flow, names = make_chain(tmp_path)
    engine.run(flow, cache=cache)
    edit(tmp_path / "blocks" / "n1" / "main.py", add_code(20))
    result = engine.run(flow, cache=cache)
    assert result.outputs == {"out": 24}
    assert result.cached == ["n0"]
    # a helper module in the block folder counts as code too
    (tmp_path / "blocks" / "n2" / "helper.py").write_text("X = 1\n")
    assert engine.run(flow, cache=cache).cached == ["n0", "n1"]


def test_manifest_change_invalidates(engine, tmp_path, cache):
    flow, names = make_chain(tmp_path)
    engine.run(flow, cache=cache)
    manifest = tmp_path / "blocks" / "n2" / "block.oo.yaml"
    edit(manifest, manifest.read_text() + "description: now documented\n")
    assert engine.run(flow, cache=cache).cached == ["n0", "n1"]


def test_corrupt_entries_are_dropped_with_a_warning(engine, tmp_path, cache):
    flow, names = make_chain(tmp_path)
    engine.run(flow, cache=cache)
    entries = cache.entries()
    entries[0].write_text('{"version": 1, "key": "tru')  # truncated
    entries[1].write_text(json.dumps({"version": 1, "key": entries[1].stem, "events": "x",
                                      "result": None}))
    result = engine.run(flow, cache=cache)
    assert result.ok and result.outputs == {"out": 6}
    assert len(result.cached) == 1
    warnings = [e["warning"] for e in events(result, "BlockWarning")]
    assert len(warnings) == 2 and all("corrupt" in w for w in warnings)
    # re-computed and written again
    assert all(json.loads(p.read_text())["version"] == 1 for p in cache.entries())
    assert engine.run(flow, cache=cache).cached == names


def test_values_held_in_workers_are_recomputed_not_guessed(engine, tmp_path, cache):
    write_block(tmp_path, "n0", "class Box:\n    def __init__(self, v):\n        self.v = v\n\n"
                                "def main(params, context):\n"
                                "    return {'out': Box(params['x'] + 1)}\n")
    write_block(tmp_path, "n1", "def main(params, context):\n"
                                "    return {'out': params['x'].v * 10}\n")
    write_block(tmp_path, "n2", add_code(5))
    flow = write_flow(tmp_path, ["n0", "n1", "n2"])
    first = engine.run(flow, cache=cache)
    assert first.ok and first.outputs == {"out": 15}
    assert len(cache.entries()) == 1  # n0's output is a var reference, n1's input is one
    second = engine.run(flow, cache=cache)
    assert second.ok and second.outputs == {"out": 15}
    assert second.cached == ["n2"]


def test_memory_tier_reuses_values_held_in_workers(engine, tmp_path):
    write_block(tmp_path, "n0", "import itertools\nCOUNT = itertools.count()\n\n"
                                "class Box:\n    pass\n\n"
                                "def main(params, context):\n"
                                "    box = Box()\n    box.n = next(COUNT)\n"
                                "    return {'out': box}\n")
    write_block(tmp_path, "n1", "def main(params, context):\n"
                                "    return {'out': params['x'].n}\n")
    flow = write_flow(tmp_path, ["n0", "n1"])
    cache = NodeCache(tmp_path / "cache", disk=False, memory=True)
    first = engine.run(flow, cache=cache)
    second = engine.run(flow, cache=cache)
    assert second.cached == ["n0", "n1"]
    assert second.outputs == first.outputs  # the same object: n0 did not run again
    assert cache.entries() == []


def test_failed_runs_are_not_cached(engine, tmp_path, cache):
    write_block(tmp_path, "n0", "def main(params, context):\n    raise ValueError('no')\n")
    flow = write_flow(tmp_path, ["n0"])
    assert engine.run(flow, cache=cache).status == "failed"
    assert cache.entries() == []
    result = engine.run(flow, cache=cache)
    assert result.status == "failed" and result.cached == []


def test_no_cache_means_nothing_read_or_written(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("OOCANA_CACHE_DIR", str(tmp_path / "cache"))
    assert default_cache_dir() == tmp_path / "cache"
    flow, _ = make_chain(tmp_path)
    result = engine.run(flow)
    assert result.ok and "cached" not in result.summary()
    assert not (tmp_path / "cache").exists()
    assert not any(e.get("cached") for e in result.events)


def test_cached_nodes_show_in_the_view(engine, tmp_path, cache):
    from oocana_local.mainframe.view import RunState

    flow, names = make_chain(tmp_path)
    engine.run(flow, cache=cache)
    state = RunState()
    engine.run(flow, cache=cache, subscribers=[state.apply])
    assert [state.node(n).status for n in names] == ["cached"] * 3
    assert state.counts() == {"cached": 3}


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "oocana_local", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


def test_cli_use_cache_cache_dir_and_clear(tmp_path):
    flow, names = make_chain(tmp_path)
    env = {**os.environ, "OOCANA_CACHE_DIR": str(tmp_path / "cache")}
    first = _cli("run", str(flow), "--use-cache", "--json", env=env)
    assert first.returncode == 0, first.stderr
    assert "cached" not in json.loads(first.stdout)
    second = _cli("run", str(flow), "--use-cache", "--json", env=env)
    summary = json.loads(second.stdout)
    assert summary["cached"] == names and summary["outputs"] == {"out": 6}
    plain = _cli("run", str(flow), "--use-cache", env=env)
    assert "n0 cached: reused its last results" in plain.stdout
    where = _cli("cache", "dir", env=env)
    assert where.stdout.strip() == str(tmp_path / "cache")
    cleared = _cli("cache", "clear", env=env)
    assert cleared.returncode == 0 and "removed 3 cached result(s)" in cleared.stdout
    third = _cli("run", str(flow), "--use-cache", "--json", env=env)
    assert "cached" not in json.loads(third.stdout)
    other = tmp_path / "elsewhere"
    _cli("run", str(flow), "--use-cache", "--cache-dir", str(other), "--json", env=env)
    assert len(list(other.glob("??/*.json"))) == 3
