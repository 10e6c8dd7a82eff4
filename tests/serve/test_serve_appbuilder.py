"""AppBuilder through the real appbuilder-sdk ComponentClient (GATEWAY_URL_V2)."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest

# appbuilder-sdk itself raises pydantic deprecation warnings on import.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

APPBUILDER = "appbuilder-sdk==1.1.5"


@pytest.fixture(scope="module", autouse=True)
def appbuilder_sdk(tmp_path_factory):
    """appbuilder-sdk pins mcp==1.3.0, which the MCP server cannot use, so it is not in
    the dev extra: the dev extra holds what its HTTP client imports, and the SDK itself
    is installed here without its pins, into a folder of this test session, when the
    environment lacks it. No network or no index fails the tests; nothing is skipped."""
    try:
        import appbuilder  # noqa: F401
    except ImportError:
        target = tmp_path_factory.mktemp("appbuilder-sdk")
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                        "--target", str(target), APPBUILDER], check=True, timeout=600)
        sys.path.insert(0, str(target))
        import appbuilder  # noqa: F401


@pytest.fixture
def components(server, monkeypatch):
    monkeypatch.setenv("GATEWAY_URL_V2", server.url)
    monkeypatch.setenv("APPBUILDER_TOKEN", server.token)
    import appbuilder

    return appbuilder.ComponentClient()


def contents(response) -> dict:
    out = {}
    for item in response.content:
        out[item.name] = item.text.info if item.type == "text" else json.loads(item.text.data)
    return out


def test_a_block_runs_as_a_component(components):
    response = components.run("serve-fixtures::echo", "the question", text="answer").content
    assert response.status == "done"
    assert contents(response) == {"text": "answer"}


def test_a_flow_runs_with_a_version_and_an_action(components, gate):
    gate.touch()
    response = components.run("streamer", "q", version="latest", action="tool_eval",
                              gate=str(gate)).content
    assert contents(response) == {"first": "first words", "last": "through the gate"}


def test_the_sdk_reads_the_stream(components, gate):
    gate.touch()
    frames = list(components.run("streamer", "q", stream=True, gate=str(gate)).content)
    assert [f.status for f in frames[:-1]] == ["running"] * (len(frames) - 1)
    assert frames[0].content[0].text.info == "first words"
    assert frames[0].content[0].event.status == "running"
    assert frames[-1].status == "done"
    assert contents(frames[-1]) == {"first": "first words", "last": "through the gate"}


def test_the_stream_delivers_before_the_end(server, gate):
    # The SDK buffers the whole body; a raw client shows the frames arrive as they come.
    statuses = []
    with httpx.stream("POST", f"{server.url}/v2/components/streamer",
                      headers={"Authorization": f"Bearer {server.token}"}, timeout=120,
                      json={"stream": True, "parameters": {"_sys_origin_query": "q",
                                                           "gate": str(gate)}}) as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                frame = json.loads(line[len("data: "):])
                statuses.append(frame["status"])
                if len(statuses) == 1:
                    assert frame["content"][0]["text"] == {"info": "first words"}
                    assert not gate.exists()
                    gate.touch()
    assert statuses[0] == "running" and statuses[-1] == "done"


def test_a_failure_is_an_error_status_with_the_message(components):
    response = components.run("failing", "q").content
    assert response.status == "error"
    assert "the fail block refuses code 42" in response.message


def test_unknown_components_and_wrong_tokens_are_refused(server, components, monkeypatch):
    from appbuilder.core._exception import NotFoundException, UnAuthorizedException

    with pytest.raises(NotFoundException):
        components.run("no-such-component", "q")
    monkeypatch.setenv("APPBUILDER_TOKEN", "wrong-token")
    import appbuilder

    with pytest.raises(UnAuthorizedException) as refused:
        appbuilder.ComponentClient().run("echo_flow", "q")
    assert server.token not in str(refused.value)
