"""The Context in-process, over a RecordingSink: no worker involved."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from pathlib import Path

import pytest

from oocana_local.context import Context, ValueStore
from oocana_local.context.sink import RecordingSink
from oocana_local.context.values import decode_inputs, to_json
from oocana_local.wire import frames
from oocana_local.wire import values as wire_values
from oocana_local.worker.channel import Channel


def make_context(tmp_path: Path, sink: RecordingSink | None = None, **overrides) -> Context:
    options = dict(inputs={"x": 1}, session_id="s", job_id="j",
                   stacks=[{"flow_job_id": "f", "flow": "flow", "node_id": "n1"}],
                   block_path="/b/block.oo.yaml", inputs_def={"x": {"handle": "x"}},
                   outputs_def={"out": {"handle": "out"}}, session_dir=str(tmp_path),
                   tmp_dir=str(tmp_path / "tmp"), sink=sink or RecordingSink())
    options.update(overrides)
    return Context(**options)


def test_identity_properties(tmp_path: Path) -> None:
    context = make_context(tmp_path, pkg_dir="/data")
    assert (context.session_id, context.job_id, context.node_id) == ("s", "j", "n1")
    assert context.job_info == {"session_id": "s", "job_id": "j"}
    assert context.block_info["block_path"] == "/b/block.oo.yaml"
    assert context.tmp_pkg_dir == str(tmp_path / "tmp")
    assert context.pkg_dir == context.pkg_data_dir == "/data"
    assert make_context(tmp_path, stacks=[]).node_id == "none"
    with pytest.raises(TypeError):
        context.inputs_def["y"] = 1  # type: ignore[index]
    with pytest.raises(TypeError):
        context.outputs_def["y"] = 1  # type: ignore[index]
    assert context.keepAlive is Context.keepAlive and context.keepAlive != object()


def test_finish_once_error_wins_and_result_must_be_a_dict(tmp_path: Path) -> None:
    sink = RecordingSink()
    context = make_context(tmp_path, sink)
    with pytest.raises(ValueError, match="result should be a dict"):
        context.finish(result=[1])  # type: ignore[arg-type]
    context.finish(result={"out": 1}, error="boom")
    context.finish(result={"out": 2})
    context.output("out", 3)
    context.report_progress(50)
    assert [m["type"] for m in sink.messages] == ["BlockFinished", "BlockWarning",
                                                  "BlockWarning"]
    assert sink.messages[0] == {"type": "BlockFinished", "job_id": "j", "error": "boom"}
    assert sink.messages[1]["warning"] == "finish() was called again; ignored"
    assert sink.messages[2]["warning"] == "output 'out' after finish() was ignored"


def test_messages_carry_the_job_and_json_payloads(tmp_path: Path) -> None:
    sink = RecordingSink()
    context = make_context(tmp_path, sink)
    context.send_message({"a": float("nan")})
    context.log_json([1, (2, 3)])
    context.error("non fatal")
    context.send_error("old name")
    context.preview({"type": "text", "data": "x"}, id="p1")
    context.report_log("line", "stderr")
    assert sink.messages == [
        {"type": "BlockMessage", "job_id": "j", "payload": {"a": None}},
        {"type": "BlockLogJSON", "job_id": "j", "json": [1, [2, 3]]},
        {"type": "BlockError", "job_id": "j", "error": "non fatal"},
        {"type": "BlockError", "job_id": "j", "error": "old name"},
        {"type": "BlockPreview", "job_id": "j",
         "payload": {"type": "text", "data": "x", "id": "p1"}},
        {"type": "BlockLog", "job_id": "j", "log": "line", "stdio": "stderr"},
    ]
    with pytest.raises(TypeError, match="not JSON serializable"):
        context.send_message(object())


def test_llm_env_warns_once_per_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("OOMOL_LLM_BASE_URL", "OOMOL_LLM_BASE_URL_V1", "OOMOL_LLM_API_KEY",
                "OOMOL_LLM_MODELS"):
        monkeypatch.delenv(key, raising=False)
    sink = RecordingSink()
    context = make_context(tmp_path, sink)
    assert context.oomol_llm_env["models"] == [""]
    context.oomol_llm_env  # noqa: B018
    assert len(sink.of_type("BlockWarning")) == 3  # models is [""], never empty


def test_progress_is_throttled_per_context(tmp_path: Path) -> None:
    a_sink, b_sink = RecordingSink(), RecordingSink()
    a, b = make_context(tmp_path, a_sink), make_context(tmp_path, b_sink)
    a.report_progress(1)
    b.report_progress(2)  # another context: its own window
    a.report_progress(3)
    time.sleep(0.4)
    assert [m["progress"] for m in a_sink.of_type("BlockProgress")] == [1, 3]
    assert [m["progress"] for m in b_sink.of_type("BlockProgress")] == [2]


def test_requests_raise_value_error_on_errors(tmp_path: Path) -> None:
    def answer(message):
        if message["block"] == "bad":
            raise LookupError("no such block")
        return {"type": "task"}

    context = make_context(tmp_path, RecordingSink(answer))

    async def ask():
        found = await context.query_block("good")
        with pytest.raises(ValueError, match="no such block"):
            await context.query_block("bad")
        return found, await context.oomol_token()

    assert asyncio.run(ask())[0] == {"type": "task"}


def test_values_round_trip_through_the_store(tmp_path: Path) -> None:
    store = ValueStore()
    sink = RecordingSink()
    context = make_context(tmp_path, sink, store=store,
                           outputs_def={"v": {"handle": "v", "json_schema":
                                              {"contentMediaType": "oomol/var"}}})
    value = {"big": [1, 2]}
    context.output("v", value)
    ref = sink.messages[0]["output"]
    key = wire_values.var_key(ref)
    assert wire_values.is_var_ref(ref)
    assert decode_inputs({"v": ref}, store)["v"] is value  # same store: the same object
    with pytest.raises(LookupError, match="no longer held"):
        decode_inputs({"v": ref}, ValueStore())
    blobs, errors = store.export([key, "missing"])
    assert errors == {"missing": "not held by this worker"}
    other = ValueStore()
    copy = decode_inputs({"v": ref}, other, blobs)["v"]
    assert copy == value and copy is not value
    assert decode_inputs({"v": ref}, other)["v"] is copy  # kept once unpickled


def test_to_json_conversions() -> None:
    class Text(str):
        pass

    assert to_json({"a": (1, float("inf")), "b": Text("t")}) == {"a": [1, None], "b": "t"}
    plain = {"a": [1, 2, {"b": "c"}]}
    assert to_json(plain) is plain  # nothing to convert: no copy


def test_worker_channel_speaks_protocol_frames() -> None:
    engine, worker = socket.socketpair()
    channel = Channel(worker.fileno())
    big = {"type": "x", "data": b"\x00" * (3 << 20)}
    engine.sendall(frames.encode({"type": "run", "job": {"a": 1}}))
    sender = threading.Thread(target=engine.sendall, args=(frames.encode(big),))
    sender.start()  # larger than the socket buffer: someone must read meanwhile
    assert channel.recv() == {"type": "run", "job": {"a": 1}}
    assert channel.recv() == big
    sender.join()
    channel.send({"type": "BlockFinished", "job_id": "j"})
    assert frames.FrameReader().read(engine) == [{"type": "BlockFinished", "job_id": "j"}]
    engine.close()
    assert channel.recv() is None
    worker.close()


def test_frames_beyond_the_limit_or_not_messages_are_refused() -> None:
    engine, worker = socket.socketpair()
    reader = frames.FrameReader()
    worker.sendall(b"\xff\xff\xff\xff")  # 4 GiB announced: never allocated
    with pytest.raises(frames.FrameError, match="larger than the limit"):
        reader.read(engine)
    junk = b"not a pickle"
    worker.sendall(len(junk).to_bytes(4, "big") + junk)
    with pytest.raises(frames.FrameError, match="could not be read"):
        frames.FrameReader().read(engine)
    engine.close()
    worker.close()
