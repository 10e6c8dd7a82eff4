"""``inject: {node_id: X}``: a task node runs in the process of the ``spawn: true`` node X.

Through the CLI (``run --json``, ``check``), on real Python and Node.js workers: the
injected node sees the module state X left in its process, a node without inject does not;
an inject that cannot be honoured is a ``check`` error with file:line and the run refuses
to start; a node injected into a node that has not run yet fails with the reason.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest
from helpers import FLOWS, REPO, cli, cli_env

RUN_TIMEOUT = 180


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(cli(*args), cwd=REPO, env=cli_env(), capture_output=True, text=True,
                          timeout=RUN_TIMEOUT)


def summary_of(proc: subprocess.CompletedProcess) -> dict:
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"no JSON summary:\nstdout: {proc.stdout}\nstderr: {proc.stderr}")


def line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def write_flow(folder: Path, yaml_text: str, files: dict[str, str]) -> Path:
    flow = folder / "flows" / "f"
    flow.mkdir(parents=True)
    (flow / "flow.oo.yaml").write_text(textwrap.dedent(yaml_text))
    for name, code in files.items():
        (flow / name).write_text(textwrap.dedent(code))
    return flow / "flow.oo.yaml"


@pytest.mark.parametrize("flow", [FLOWS / "inject", FLOWS / "nodejs" / "flows" / "inject"],
                         ids=["python", "typescript"])
def test_the_injected_node_sees_the_state_of_the_spawn_nodes_process(flow: Path) -> None:
    proc = run_cli("run", str(flow), "--json")
    summary = summary_of(proc)

    assert proc.returncode == 0, proc.stderr
    outputs = summary["outputs"]
    injected, plain = outputs["injected"], outputs["plain"]
    assert injected["pid"] == outputs["setup_pid"]       # the same process ...
    assert injected["word"] == "hello"                     # ... so the same module state
    assert plain["pid"] != outputs["setup_pid"]           # no inject: a worker of its own
    assert plain["word"] is None
    if "env" in injected:                                  # nodejs-samples' `spawn` flow
        assert (injected["env"], plain["env"]) == ("hello", None)


BAD = """\
    nodes:
      - node_id: plain_py
        task:
          outputs_def: [{handle: out}]
          executor: {name: python, options: {entry: main.py}}
      - node_id: spawn_js
        task:
          outputs_def: [{handle: out}]
          executor: {name: nodejs, options: {entry: main.js, spawn: true}}
      - node_id: spawn_py
        task:
          outputs_def: [{handle: out}]
          executor: {name: python, options: {entry: main.py, spawn: true}}
      - node_id: unknown_target
        task: {executor: {name: python, options: {entry: main.py}}}
        inject: {node_id: spawn_pi}
      - node_id: not_spawn
        task: {executor: {name: python, options: {entry: main.py}}}
        inject: {node_id: plain_py}
      - node_id: other_language
        task: {executor: {name: python, options: {entry: main.py}}}
        inject: {node_id: spawn_js}
      - node_id: both
        task: {executor: {name: python, options: {entry: main.py, spawn: true}}}
        inject: {node_id: spawn_py}
      - node_id: no_wait
        task: {executor: {name: python, options: {entry: main.py}}}
        inject: {node_id: spawn_py}
    """
CODE = {"main.py": "def main(inputs):\n    return {'out': 1}\n",
        "main.js": "export default async function () { return { out: 1 }; }\n"}


def test_check_reports_each_inject_it_cannot_honour_with_file_and_line(tmp_path: Path) -> None:
    flow = write_flow(tmp_path, BAD, CODE)

    proc = run_cli("check", str(tmp_path))

    assert proc.returncode == 2
    out = proc.stdout + proc.stderr

    def reported(kind: str, node: str, text: str) -> None:
        line = line_of(flow, f"node_id: {node}") + 2  # the `inject:` line of the node
        wanted = f"{flow}:{line}: {kind}: node {node!r}"
        found = [row for row in out.splitlines() if row.startswith(wanted)]
        assert found and text in found[0], f"no {wanted} ... {text} in:\n{out}"

    reported("error", "unknown_target", "inject names node 'spawn_pi', which is not in this flow")
    assert "did you mean 'spawn_py'" in out
    reported("error", "not_spawn", "whose block does not have spawn: true")
    assert "set `spawn: true` under executor.options of 'plain_py'" in out
    reported("error", "other_language", "a 'nodejs' block, but this is a 'python' block")
    reported("error", "both", "spawn: true")
    reported("warning", "no_wait", "does not wait for node 'spawn_py'")


def test_a_run_with_an_inject_it_cannot_honour_does_not_start(tmp_path: Path) -> None:
    flow = write_flow(tmp_path, """\
        nodes:
          - node_id: setup
            task:
              outputs_def: [{handle: out}]
              executor: {name: python, options: {entry: main.py}}
          - node_id: reader
            task: {executor: {name: python, options: {entry: main.py}}}
            inject: {node_id: setup}
            inputs_from: []
        """, CODE)

    proc = run_cli("run", str(flow.parent), "--json")

    assert proc.returncode == 2
    assert f"{flow}:{line_of(flow, 'inject:')}" in proc.stderr
    assert "'setup', whose block does not have spawn: true" in proc.stderr


def test_a_node_injected_into_a_node_that_has_not_run_fails_with_the_reason(
        tmp_path: Path) -> None:
    # `setup` waits for `reader`, so `reader` starts before its target's process exists.
    flow = write_flow(tmp_path, """\
        outputs_def: [{handle: out}]
        nodes:
          - node_id: reader
            task:
              outputs_def: [{handle: out}]
              executor: {name: python, options: {entry: main.py}}
            inject: {node_id: setup}
          - node_id: setup
            task:
              inputs_def: [{handle: after}]
              outputs_def: [{handle: out}]
              executor: {name: python, options: {entry: main.py, spawn: true}}
            inputs_from: [{handle: after, from_node: [{node_id: reader, output_handle: out}]}]
        outputs_from: [{handle: out, from_node: [{node_id: setup, output_handle: out}]}]
        """, CODE)

    checked = run_cli("check", str(tmp_path))
    proc = run_cli("run", str(flow.parent), "--json")

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "node 'reader' does not wait for node 'setup'" in checked.stdout + checked.stderr
    summary = summary_of(proc)
    assert proc.returncode == 1
    assert summary["nodes"] == {"reader": "failed", "setup": "not_run"}
    assert ("node 'reader' runs in the process of node 'setup' (inject), but 'setup' has not "
            "run yet in this session") in summary["error"]


def test_the_node_cache_replays_neither_the_spawn_node_nor_the_injected_one(tmp_path: Path):
    cache = tmp_path / "cache"
    flow = FLOWS / "inject"

    first = run_cli("run", str(flow), "--json", "--use-cache", "--cache-dir", str(cache))
    again = run_cli("run", str(flow), "--json", "--use-cache", "--cache-dir", str(cache))

    assert first.returncode == 0 and again.returncode == 0, again.stdout + again.stderr
    before, after = summary_of(first)["outputs"], summary_of(again)["outputs"]
    assert "setup" not in summary_of(again).get("cached", [])
    assert after["setup_pid"] != before["setup_pid"]  # it ran again, in this run's process
    assert after["injected"] == {"word": "hello", "pid": after["setup_pid"]}
