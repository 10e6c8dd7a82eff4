"""Sim through the real simstudio-sdk (the stream through raw HTTP: the SDK cannot read it)."""

from __future__ import annotations

import io
import json

import httpx
import pytest
import requests
from server import wait_until
from simstudio import SimStudioClient, SimStudioError


@pytest.fixture
def sim(server):
    return SimStudioClient(server.token, base_url=server.url)


def test_a_sync_run_returns_the_flow_outputs(sim):
    result = sim.execute_workflow("echo_flow", input={"text": "sim"})
    assert result.success and result.output == {"text": "sim"}
    assert result.metadata["runId"]


def test_a_failure_carries_the_blocks_message(sim):
    result = sim.execute_workflow("failing")
    assert result.success is False
    assert "the fail block refuses code 42" in result.error


def test_an_async_run_is_polled_to_its_outputs(sim):
    queued = sim.execute_workflow("echo_flow", input={"text": "later"}, async_execution=True)
    assert queued.success and queued.run_id and queued.status_url.endswith(queued.run_id)
    run = wait_until(lambda: (lambda r: r if r["status"] == "completed" else None)(
        sim.get_workflow_run("echo_flow", queued.run_id, include_output=True)),
        "the async run")
    assert run["output"] == {"text": "later"}
    job = sim.get_job_status(queued.run_id)
    assert job["status"] == "completed" and job["output"] == {"text": "later"}


def test_cancelling_an_async_run_stops_it(server, sim, gate):
    queued = sim.execute_workflow("streamer", input={"gate": str(gate)},
                                  async_execution=True)
    wait_until(lambda: sim.get_job_status(queued.run_id)["status"] == "processing",
               "the run to start")
    answer = httpx.post(f"{server.url}/api/v2/workflows/streamer/runs/{queued.run_id}/cancel",
                        headers={"X-API-Key": server.token}).json()
    assert answer["data"]["status"] == "cancelled"
    gate.touch()
    assert sim.get_job_status(queued.run_id)["status"] == "cancelled"
    assert sim.get_workflow_run("streamer", queued.run_id)["status"] == "cancelled"


def test_a_file_input_becomes_a_local_file(server, sim):
    upload = io.BytesIO(b"uploaded through sim")
    upload.name = "../../../etc/evil.txt"
    result = sim.execute_workflow("uploads", input={"doc": upload})
    assert result.success, result.error
    assert result.output["doc"] == "uploaded through sim"
    (path,) = result.output["paths"]
    assert path.startswith(str(server.home)) and "evil" not in path


def test_the_stream_delivers_selected_outputs_before_the_end(server, gate):
    frames = []
    with httpx.stream("POST", f"{server.url}/api/v2/workflows/streamer/execute",
                      headers={"X-API-Key": server.token}, timeout=120,
                      json={"input": {"gate": str(gate)}, "stream": True,
                            "selectedOutputs": ["talk.first", "talk.last"]}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if not line.startswith("data: "):
                continue
            frames.append(json.loads(line[len("data: "):]))
            if frames[-1] == {"blockId": "talk", "chunk": "first words"}:
                assert not gate.exists()  # delivered while the block still waits
                gate.touch()
    assert frames[0] == {"blockId": "talk", "chunk": "first words"}
    assert {"blockId": "talk", "chunk": "through the gate"} in frames
    assert frames[-2] == {"event": "final", "data": {
        "success": True, "output": {"first": "first words", "last": "through the gate"}}}
    assert frames[-1] == "[DONE]"


def test_legacy_routes(server):
    headers = {"X-API-Key": server.token}
    sync = requests.post(f"{server.url}/api/workflows/echo_flow/execute", headers=headers,
                         json={"text": "legacy"}).json()
    assert sync["success"] is True and sync["output"] == {"text": "legacy"}
    queued = requests.post(f"{server.url}/api/workflows/echo_flow/execute",
                           headers={**headers, "X-Execution-Mode": "async"},
                           json={"text": "queued"})
    assert queued.status_code == 202
    task_id = queued.json()["taskId"]
    assert queued.json()["links"]["status"] == f"/api/jobs/{task_id}"
    job = wait_until(lambda: (lambda j: j if j["status"] == "completed" else None)(
        requests.get(f"{server.url}/api/jobs/{task_id}", headers=headers).json()), "the job")
    assert job["output"] == {"text": "queued"}
    assert int(queued.headers["X-RateLimit-Reset"]) > 0


def test_status_and_usage(sim):
    assert sim.validate_workflow("echo_flow") is True
    assert sim.validate_workflow("no_such_flow") is False
    limits = sim.get_usage_limits()
    assert limits.success and limits.rate_limit["sync"]["isLimited"] is False


def test_usage_limits_answer_the_sdks_documented_arithmetic(server, sim):
    limits = sim.get_usage_limits()
    sync = limits.rate_limit["sync"]
    assert {"isLimited", "limit", "remaining", "resetAt"} <= set(sync)
    # Sim's documentation: percent used = currentPeriodCost / limit * 100
    usage = limits.usage
    assert usage["limit"] > 0 and usage["currentPeriodCost"] == 0
    assert usage["currentPeriodCost"] / usage["limit"] * 100 == 0
    # The storage part (raw: the SDK drops it) is the run store's real size on its disk.
    storage = httpx.get(f"{server.url}/api/users/me/usage-limits",
                        headers={"X-API-Key": server.token}).json()["storage"]
    assert 0 < storage["usedBytes"] <= storage["limitBytes"]
    assert storage["percentUsed"] == round(100 * storage["usedBytes"] / storage["limitBytes"], 2)


def test_unknown_workflows_blocks_and_paths_are_404(sim):
    for name in ("no_such_flow", "serve-fixtures::echo", "..%2F..%2Fetc"):
        with pytest.raises(SimStudioError) as missing:
            sim.execute_workflow(name)
        assert missing.value.status == 404 and missing.value.code == "NOT_FOUND"


def test_a_wrong_key_is_refused(server):
    with pytest.raises(SimStudioError) as refused:
        SimStudioClient("wrong-key", base_url=server.url).execute_workflow("echo_flow")
    assert refused.value.status == 401 and server.token not in str(refused.value)


def test_unknown_body_keys_are_refused(server):
    answer = httpx.post(f"{server.url}/api/v2/workflows/echo_flow/execute",
                        headers={"X-API-Key": server.token}, json={"inputs": {}})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "BAD_REQUEST"


def test_a_client_leaving_a_stream_stops_the_run(server, sim, gate):
    with httpx.stream("POST", f"{server.url}/api/v2/workflows/streamer/execute",
                      headers={"X-API-Key": server.token}, timeout=120,
                      json={"input": {"gate": str(gate)}, "stream": True,
                            "selectedOutputs": ["talk.first"]}) as response:
        run_id = response.headers["X-Run-Id"]
        for line in response.iter_lines():
            if "first words" in line:
                break  # and hang up
    wait_until(lambda: sim.get_job_status(run_id)["status"] == "cancelled",
               "the run to stop")


def test_an_async_run_past_its_execution_timeout_fails(server, sim, gate):
    queued = sim.execute_workflow("streamer", input={"gate": str(gate)},
                                  async_execution=True, execution_timeout_seconds=1)
    run = wait_until(lambda: (lambda r: r if r["status"] == "failed" else None)(
        sim.get_workflow_run("streamer", queued.run_id)), "the timeout")
    assert run["error"]["code"] == "TIMEOUT"
