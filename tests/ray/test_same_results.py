"""The Ray executor gives the same outputs, node states and event types as the local
worker pool, for the quickstart, the previews flow and the scenario flows that make sense
on a cluster (Node.js blocks stay local by design; the slow and timing flows are in
``test_faults.py``)."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import FLOWS, REPO, results_of

# Not here: fan_in and concurrency, whose output is whichever parallel job ends last
# (it differs between two local runs too), and context_basics, which outputs its ids.
SCENARIOS = ["additional", "call_args", "chain", "condition", "context_extras", "error",
             "exit", "fan_out", "flow_inputs", "handle_defs", "logs",
             "long_outputs", "nodes_inputs", "query", "repeated_outputs", "run_block",
             "static_and_nullable", "subflow", "subset", "value_node", "values", "warning",
             "zip"]
FLOW_PATHS = [REPO / "flows" / "quickstart", REPO / "flows" / "previews",
              *(FLOWS / name for name in SCENARIOS)]


def _plain(value: Any) -> Any:
    """A value without what differs between two sessions: var keys, job and session ids."""
    if isinstance(value, dict):
        if value.get("__OOMOL_TYPE__") == "oomol/var":
            return {"var": value.get("description")}
        return {k: _plain(v) for k, v in value.items()
                if k not in ("session_id", "job_id", "key")}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _summary(result: Any) -> dict[str, Any]:
    return {"status": result.status, "outputs": _plain(result.outputs),
            "nodes": result.nodes, "event_types": sorted({e["type"] for e in result.events})}


@pytest.mark.parametrize("path", FLOW_PATHS, ids=lambda p: p.name)
def test_a_flow_gives_what_the_local_pool_gives(path, engine, ray_engine):
    local = engine.run(path)
    remote = ray_engine.run(path)

    assert _summary(remote) == _summary(local)


def test_a_dataframe_reaches_the_next_actor_as_an_object_ref(ray_engine, ray_runtime,
                                                             tmp_path):
    (tmp_path / "make").mkdir()
    (tmp_path / "make" / "block.oo.yaml").write_text(
        "executor: {name: python, options: {entry: main.py}}\n"
        "outputs_def: [{handle: frame, json_schema: {contentMediaType: oomol/var}}]\n")
    (tmp_path / "make" / "main.py").write_text(
        "import os\nimport pandas as pd\n\n"
        "def main(params):\n"
        "    return {'frame': pd.DataFrame({'pid': [os.getpid()] * 3})}\n")
    (tmp_path / "use").mkdir()
    (tmp_path / "use" / "block.oo.yaml").write_text(
        "executor: {name: python, options: {entry: main.py}}\n"
        "inputs_def: [{handle: frame, json_schema: {contentMediaType: oomol/var}}]\n"
        "outputs_def: [{handle: rows}, {handle: maker}]\n")
    (tmp_path / "use" / "main.py").write_text(
        "def main(params):\n"
        "    frame = params['frame']\n"
        "    return {'rows': len(frame), 'maker': int(frame['pid'][0])}\n")
    (tmp_path / "flow.oo.yaml").write_text(
        "nodes:\n"
        "  - {node_id: make, task: ./make}\n"
        "  - node_id: use\n"
        "    task: ./use\n"
        "    inputs_from: [{handle: frame, from_node: [{node_id: make, output_handle: frame}]}]\n"
        )

    executor = ray_engine.executor.python
    held: list[Any] = []

    def on_message(message: dict[str, Any]) -> None:
        for value in [message.get("output"), *(message.get("result") or {}).values()]:
            if isinstance(value, dict) and value.get("__OOMOL_TYPE__") == "oomol/var":
                held.append(executor.refs[value["value"]["key"]])

    result = ray_engine.run(tmp_path, subscribers=[on_message])

    assert result.status == "completed", result.error
    [used] = results_of(result, "use")
    assert used["rows"] == 3
    assert type(executor).__name__ == "RayExecutor"
    assert [type(ref) for ref in held] == [ray_runtime.ObjectRef]
    with open(f"/proc/{used['maker']}/cmdline", "rb") as cmdline:
        assert b"BlockActor" in cmdline.read()  # the block ran in a Ray actor


def test_an_injected_node_runs_on_the_actor_of_its_spawn_node(ray_engine):
    result = ray_engine.run(FLOWS / "inject")

    assert result.status == "completed", result.error
    outputs = result.outputs
    assert outputs["injected"] == {"word": "hello", "pid": outputs["setup_pid"]}
    assert outputs["plain"]["word"] is None and outputs["plain"]["pid"] != outputs["setup_pid"]
