"""OOMOL Connect through the real oomol-connect-sdk."""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
from pathlib import Path

import httpx
import pytest
from oomol_connect_sdk import OomolConnectClient
from oomol_connect_sdk.errors import ApiError, TaskFailedError, TaskStoppedError

FAST = {"interval_ms": 50, "backoff_strategy": "fixed", "timeout_ms": 120_000}


def client(server, token=None):
    return OomolConnectClient({"base_url": f"{server.url}/api",
                               "api_token": server.token if token is None else token})


def run(coro):
    return asyncio.run(coro)


def test_the_sdk_release_under_test():
    assert importlib.metadata.version("oomol-connect-sdk") == "1.0.3"


def test_a_block_runs_and_its_outputs_are_the_result(server):
    async def go():
        async with client(server) as c:
            return await c.tasks.run({"blockId": "serve-fixtures::echo",
                                      "inputValues": {"text": "hi there"}}, FAST)

    result = run(go())
    assert result["task"]["status"] == "completed"
    assert result["result"] == {"text": "hi there"}


def test_a_flow_runs_by_folder_name_with_all_three_input_formats(server):
    async def go(values):
        async with client(server) as c:
            return (await c.tasks.run({"blockId": "echo_flow", "inputValues": values},
                                      FAST))["result"]

    assert run(go({"text": "one"})) == {"text": "one"}
    assert run(go([{"handle": "text", "value": "two"}])) == {"text": "two"}
    assert run(go([{"nodeId": "_", "inputs": [{"handle": "text", "value": "three"}]}])) \
        == {"text": "three"}
    assert run(go({})) == {"text": "hello"}  # the manifest's default


def test_a_node_id_overrides_that_nodes_inputs(server, gate):
    gate.touch()

    async def go():
        async with client(server) as c:
            return await c.tasks.run({"blockId": "streamer", "inputValues": [
                {"nodeId": "_", "inputs": [{"handle": "gate", "value": str(gate)}]},
                {"nodeId": "talk", "inputs": [{"handle": "first", "value": "overridden"}]},
            ]}, FAST)

    assert run(go())["result"] == {"first": "overridden", "last": "through the gate"}


def test_logs_and_progress_arrive_while_the_run_goes(server, gate):
    seen_logs: list[dict] = []
    seen_status: list[str] = []

    async def go():
        async with client(server) as c:
            created = await c.tasks.create({"blockId": "streamer",
                                            "inputValues": {"gate": str(gate)}})
            task_id = created["task"]["id"]
            waiting = asyncio.ensure_future(c.tasks.wait_for_completion(task_id, {
                **FAST, "on_log": seen_logs.append,
                "on_progress": lambda task: seen_status.append(task["status"])}))
            for _ in range(2400):  # the block logs, then waits for the gate
                if any(log["type"] == "BlockLog" and "waiting for the gate" in
                       log["event"]["log"] for log in seen_logs):
                    break
                await asyncio.sleep(0.05)
            assert not waiting.done()
            running = await c.tasks.get(task_id)
            gate.touch()
            task = await waiting
            logs = await c.tasks.get_logs(task_id)
            return running, task, logs

    running, task, logs = run(go())
    assert running["status"] == "running" and running["progress"] == 50
    assert "running" in seen_status and seen_status[-1] == "completed"
    assert task["status"] == "completed"
    ids = [log["id"] for log in logs]
    assert ids == sorted(ids) and len(set(ids)) == len(ids) and ids[0] > 0
    types = [log["type"] for log in logs]
    assert "BlockOutput" in types and "BlockProgress" in types
    results = [log for log in logs if log["type"] == "BlockFinished"
               and log["event"].get("result")]
    assert len(results) == 1 and logs[-1] is results[0]
    assert results[0]["event"]["result"] == {"first": "first words",
                                             "last": "through the gate"}


def test_stop_cancels_the_run_and_nothing_more_is_logged(server, gate):
    async def go():
        async with client(server) as c:
            created = await c.tasks.create({"blockId": "streamer",
                                            "inputValues": {"gate": str(gate)}})
            task_id = created["task"]["id"]
            for _ in range(2400):
                if (await c.tasks.get(task_id))["status"] == "running":
                    break
                await asyncio.sleep(0.05)
            stopped = await c.tasks.stop(task_id)
            with pytest.raises(TaskStoppedError):
                await c.tasks.wait_for_completion(task_id, FAST)
            count = len(await c.tasks.get_logs(task_id))
            gate.touch()  # had the block kept running, it would finish now
            await asyncio.sleep(1.0)
            return stopped, await c.tasks.get(task_id), count, await c.tasks.get_logs(task_id)

    stopped, later, count, logs = run(go())
    assert stopped["status"] == "stopped" and later["status"] == "stopped"
    assert len(logs) == count
    assert not any(log["event"].get("result") for log in logs if log["event"])


def test_uploads_fill_the_file_inputs_under_server_made_names(server, tmp_path):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("first file")
    second.write_text("second file")

    async def go():
        async with client(server) as c:
            with open(first, "rb") as f1, open(second, "rb") as f2:
                # A client may send any file name; it must never decide a path.
                files = [("../../escape.txt", f1, "text/plain"),
                         ("/etc/passwd", f2, "text/plain")]
                return await c.tasks.run_with_files("serve-fixtures::read_files", {},
                                                    files, FAST)

    result = run(go())["result"]
    assert result["doc"] == "first file" and result["more"] == ["second file"]
    folders = {str(Path(p).parent) for p in result["paths"]}
    assert len(folders) == 1
    assert all("escape" not in p and "passwd" not in p for p in result["paths"])
    assert all(p.startswith(str(server.home)) for p in result["paths"])


def test_a_form_without_files_is_read_whatever_its_label(server):
    async def go():
        async with client(server) as c:
            created = await c.tasks.create_with_files("serve-fixtures::echo",
                                                      {"text": "form"}, None)
            task = await c.tasks.wait_for_completion(created["task"]["id"], FAST)
            return task, await c.tasks.get_logs(task["id"])

    task, logs = run(go())
    assert task["status"] == "completed"
    assert logs[-1]["event"]["result"] == {"text": "form"}


def test_a_failure_carries_the_blocks_message(server):
    async def go():
        async with client(server) as c:
            created = await c.tasks.create({"blockId": "failing", "inputValues": {}})
            with pytest.raises(TaskFailedError) as failed:
                await c.tasks.wait_for_completion(created["task"]["id"], FAST)
            return failed.value.task, await c.tasks.get_logs(created["task"]["id"])

    task, logs = run(go())
    assert task["status"] == "failed"
    assert "the fail block refuses code 42" in task["error"]
    assert any("the fail block refuses code 42" in json.dumps(log["event"]) for log in logs)


def test_a_wrong_token_is_refused(server):
    async def go():
        async with client(server, token="not-the-token") as c:
            await c.tasks.list()

    with pytest.raises(ApiError) as refused:
        run(go())
    assert refused.value.status == 401
    assert server.token not in str(refused.value.response)


@pytest.mark.parametrize("name", ["/etc/passwd", "../pkg/blocks/echo", "other::echo",
                                  "serve-fixtures::../echo", "tests/serve/pkg", ""])
def test_names_outside_the_served_packages_never_run(server, name):
    async def go():
        async with client(server) as c:
            before = len((await c.tasks.list())["tasks"])
            with pytest.raises(ApiError) as refused:
                await c.tasks.create({"blockId": name, "inputValues": {}})
            return refused.value.status, before, len((await c.tasks.list())["tasks"])

    status, before, after = run(go())
    assert status in (400, 404) and (status == 404 or name == "")
    assert after == before


def test_listing_blocks_flows_packages_and_tasks(server):
    async def go():
        async with client(server) as c:
            return (await c.blocks.list(), await c.packages.list(),
                    await c.tasks.list())

    blocks, packages, tasks = run(go())
    ids = {b["blockId"]: b for b in blocks["blocks"]}
    assert "serve-fixtures::echo" in ids and ids["serve-fixtures::echo"]["version"] == "1.2.3"
    assert [p["name"] for p in packages["packages"]] == ["serve-fixtures"]
    assert isinstance(tasks["tasks"], list)
    flows = httpx.get(f"{server.url}/api/v1/flows",
                      headers={"Authorization": server.token}).json()["flows"]
    assert {"echo_flow", "streamer", "failing", "uploads"} <= {f["name"] for f in flows}


def test_task_objects_suit_every_sdk_release(server):
    headers = {"Authorization": f"Bearer {server.token}"}
    created = httpx.post(f"{server.url}/api/v1/tasks", headers=headers,
                         json={"manifest": "serve-fixtures::echo",
                               "inputValues": {"text": "old"}}).json()
    fetched = httpx.get(f"{server.url}/api/v1/tasks/{created['task']['id']}",
                        headers=headers).json()
    # py 1.0.0-1.0.2 read the status at the top level, 1.0.3 and TS under "task".
    assert fetched["status"] == fetched["task"]["status"]
    assert fetched["id"] == created["id"] == created["task"]["id"]


def test_a_correctly_labelled_multipart_form_works_too(server):
    # What the TypeScript SDK sends: multipart/form-data with its boundary.
    answer = httpx.post(f"{server.url}/api/v1/tasks", headers={"Authorization": server.token},
                        data={"manifest": "uploads", "inputValues": "{}"},
                        files=[("files", ("notes.md", b"typescript upload", "text/markdown"))])
    assert answer.status_code == 200, answer.text
    task_id = answer.json()["task"]["id"]

    async def go():
        async with client(server) as c:
            return await c.tasks.wait_for_completion(task_id, FAST)

    task = run(go())
    assert task["result"]["doc"] == "typescript upload"
    assert task["result"]["paths"][0].endswith(".md")


def test_the_api_is_documented(server):
    spec = httpx.get(f"{server.url}/openapi.json").json()
    assert {"/api/v1/tasks", "/api/v1/tasks/{task_id}/logs", "/api/v2/workflows/{workflow_id}/execute",
            "/v2/components/{component_id}", "/share/api/v1/graphx/flow/run"} <= set(spec["paths"])
    assert "multipart/form-data" in spec["paths"]["/api/v1/tasks"]["post"]["requestBody"]["content"]


def test_secrets_stay_masked_in_everything_the_api_returns(server):
    async def go():
        async with client(server) as c:
            result = await c.tasks.run({"blockId": "serve-fixtures::secret_len",
                                        "inputValues": {"key": "Custom,api,key"}}, FAST)
            return result, await c.tasks.list()

    result, tasks = run(go())
    assert result["result"] == {"length": len("sk-serve-secret-value")}
    seen = json.dumps([result, tasks])
    assert "Custom,api,key" in seen and "sk-serve-secret-value" not in seen
    assert any("the key is ******" in json.dumps(log["event"]) for log in result["logs"])


def test_every_line_of_a_chatty_block_is_logged_in_order(server):
    async def go():
        async with client(server) as c:
            return await c.tasks.run({"blockId": "serve-fixtures::chatty",
                                      "inputValues": {"lines": 3000}}, FAST)

    result = run(go())
    lines = [log["event"]["log"] for log in result["logs"] if log["type"] == "BlockLog"]
    assert lines == [f"line {i}" for i in range(3000)]
    ids = [log["id"] for log in result["logs"]]
    assert ids == list(range(1, len(ids) + 1))
