"""JsonlRecorder and EventList."""

from __future__ import annotations

import io
import json
import math

from oocana_local.mainframe.bus import Bus
from oocana_local.mainframe.recorder import EventList, JsonlRecorder


def read_lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_one_json_line_per_message(tmp_path):
    path = tmp_path / "sub" / "run.jsonl"  # the directory is made
    recorder = JsonlRecorder(path)
    recorder({"type": "SessionStarted", "session_id": "s"})
    recorder({"type": "BlockOutput", "session_id": "s", "output": {"x": [1, 2]}})
    recorder.close()
    assert read_lines(path) == [
        {"type": "SessionStarted", "session_id": "s"},
        {"type": "BlockOutput", "session_id": "s", "output": {"x": [1, 2]}},
    ]
    assert recorder.count == 2


def test_buffered_until_the_session_finishes(tmp_path):
    path = tmp_path / "run.jsonl"
    recorder = JsonlRecorder(path, flush_interval=3600)
    recorder({"type": "BlockLog", "session_id": "s", "log": "x"})
    assert path.read_text("utf-8") == ""  # still in the buffer
    recorder({"type": "SessionFinished", "session_id": "s"})
    assert [m["type"] for m in read_lines(path)] == ["BlockLog", "SessionFinished"]
    recorder.close()


def test_a_failure_is_on_disk_at_once(tmp_path):
    # If the engine dies right after a block failed, the reason is already written.
    path = tmp_path / "run.jsonl"
    recorder = JsonlRecorder(path, flush_interval=3600)
    recorder({"type": "BlockStarted", "session_id": "s"})
    recorder({"type": "BlockFinished", "session_id": "s", "error": "boom"})
    assert len(read_lines(path)) == 2
    recorder.close()


def test_values_that_are_not_json(tmp_path):
    path = tmp_path / "run.jsonl"
    with JsonlRecorder(path) as recorder:
        recorder({"type": "BlockOutputs", "session_id": "s",
                  "outputs": {"nan": math.nan, "b": b"\x01", "set": {1}, "obj": object()}})
    (message,) = read_lines(path)
    assert message["outputs"]["nan"] is None
    assert message["outputs"]["b"] == "AQ=="
    assert message["outputs"]["set"] == [1]
    assert message["outputs"]["obj"].startswith("<object object")


def test_a_file_passed_in_is_flushed_not_closed():
    out = io.StringIO()
    recorder = JsonlRecorder(out)
    recorder({"type": "SessionStarted", "session_id": "s"})
    recorder.close()
    recorder.close()  # twice is fine
    recorder({"type": "SessionFinished", "session_id": "s"})  # ignored after close
    assert not out.closed
    assert out.getvalue().count("\n") == 1


def test_event_list_keeps_messages_in_order():
    events = EventList()
    bus = Bus([events])
    bus.publish({"type": "A"})
    bus.publish({"type": "B"})
    bus.publish({"type": "A", "n": 2})
    assert len(events) == 3 and events[1] == {"type": "B"}
    assert events.types == ["A", "B", "A"]
    assert events.of_type("A") == [{"type": "A"}, {"type": "A", "n": 2}]
    assert list(events) == events.messages


def test_two_event_lists_with_the_same_messages_unsubscribe_separately():
    first, second = EventList(), EventList()
    bus = Bus()
    bus.subscribe(first)
    unsubscribe_second = bus.subscribe(second)
    bus.publish({"type": "A"})
    unsubscribe_second()
    bus.publish({"type": "B"})
    assert first.types == ["A", "B"] and second.types == ["A"]
