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


_PASS_ON = (
    "import os\n\n"
    "def main(params):\n"
    "    frame = params['frame']\n"
    "    frame['x'] += 10  # seen by the next block only if it gets this very object\n"
    "    return {'frame': frame, 'got': [os.getpid(), id(frame), int(frame['x'].sum())]}\n")


def test_a_value_stays_the_identical_object_on_its_actor_and_moves_to_another(
        ray_engine, tmp_path):
    var = "{handle: frame, json_schema: {contentMediaType: oomol/var}}"
    (tmp_path / "make").mkdir()
    (tmp_path / "make" / "block.oo.yaml").write_text(
        "executor: {name: python, options: {entry: main.py}}\n"
        f"outputs_def: [{var}, {{handle: made}}]\n")
    (tmp_path / "make" / "main.py").write_text(
        "import os\nimport pandas as pd\n\n"
        "def main(params):\n"
        "    frame = pd.DataFrame({'x': [1, 2, 3]})\n"
        "    return {'frame': frame, 'made': [os.getpid(), id(frame)]}\n")
    for name, options in (("same", ""), ("apart", ", spawn: true")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "block.oo.yaml").write_text(
            f"executor: {{name: python, options: {{entry: main.py{options}}}}}\n"
            f"inputs_def: [{var}]\noutputs_def: [{var}, {{handle: got}}]\n")
        (tmp_path / name / "main.py").write_text(_PASS_ON)
    (tmp_path / "flow.oo.yaml").write_text(
        "nodes:\n"
        "  - {node_id: make, task: ./make}\n"
        "  - node_id: same\n"
        "    task: ./same\n"
        "    inputs_from: [{handle: frame, from_node: [{node_id: make, output_handle: frame}]}]\n"
        "  - node_id: apart\n"
        "    task: ./apart\n"
        "    inputs_from: [{handle: frame, from_node: [{node_id: same, output_handle: frame}]}]\n"
        )

    result = ray_engine.run(tmp_path)

    assert result.status == "completed", result.error
    [made] = results_of(result, "make")
    [same] = results_of(result, "same")
    [apart] = results_of(result, "apart")
    pid, identity = made["made"]
    assert same["got"] == [pid, identity, 36]  # the actor that made it: the same object
    assert apart["got"][0] != pid  # an actor of its own: a copy, with what was done to it
    assert apart["got"][2] == 66
    with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
        assert b"BlockActor" in cmdline.read()  # the blocks ran in Ray actors


def test_an_injected_node_runs_on_the_actor_of_its_spawn_node(ray_engine):
    result = ray_engine.run(FLOWS / "inject")

    assert result.status == "completed", result.error
    outputs = result.outputs
    assert outputs["injected"] == {"word": "hello", "pid": outputs["setup_pid"]}
    assert outputs["plain"]["word"] is None and outputs["plain"]["pid"] != outputs["setup_pid"]
