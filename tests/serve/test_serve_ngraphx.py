"""NGraphX flow runs through a raw HTTP client (no client package exists)."""

from __future__ import annotations

import json

import httpx

ROUTE = "/share/api/v1/graphx/flow/run"
PREFIX = "@__Result__: "


def headers(server, **more):
    return {"Authorization": f"Bearer {server.token}", **more}


def test_the_batch_answer_holds_the_outputs(server):
    answer = httpx.post(server.url + ROUTE, headers=headers(server), timeout=60, json={
        "flow_id": "echo_flow", "messages": [{"role": "user", "content": "hi"}],
        "params": {"text": "batch"}})
    assert answer.status_code == 200
    assert [json.loads(item) for item in answer.json()["data"]] == [{"text": "batch"}]


def test_the_stream_sends_text_before_the_end_then_the_result(server, gate):
    messages = []
    with httpx.stream("POST", server.url + ROUTE, timeout=120,
                      headers=headers(server, Accept="text/event-stream"),
                      params={"share": "streamer"}, json={"params": {"gate": str(gate)}}
                      ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                messages.append(line[len("data: "):])
                if messages == ["first words"]:
                    assert not gate.exists()
                    gate.touch()
    assert messages[:2] == ["first words", "through the gate"]
    assert messages[-1].startswith(PREFIX)
    result = json.loads(messages[-1][len(PREFIX):])
    assert json.loads(result["data"][0]) == {"first": "first words",
                                             "last": "through the gate"}


def test_a_failure_is_an_http_error_with_the_message(server):
    for accept in ("application/json", "text/event-stream"):
        answer = httpx.post(server.url + ROUTE, headers=headers(server, Accept=accept),
                            json={"flow_id": "failing"}, timeout=60)
        assert answer.status_code == 500
        assert "the fail block refuses code 42" in answer.json()["message"]


def test_unknown_flows_and_wrong_tokens_are_refused(server):
    missing = httpx.post(server.url + ROUTE, headers=headers(server),
                         json={"flow_id": "/etc/passwd"})
    assert missing.status_code == 404
    refused = httpx.post(server.url + ROUTE, headers={"Authorization": "Bearer nope"},
                         json={"flow_id": "echo_flow"})
    assert refused.status_code == 401 and server.token not in refused.text


def test_browser_clients_may_call_from_another_origin(server):
    preflight = httpx.options(server.url + ROUTE, headers={
        "Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
