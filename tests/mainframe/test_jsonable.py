"""to_jsonable / dumps: any value becomes JSON, nothing raises."""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass, field

from oocana_local.mainframe.jsonable import dumps, to_jsonable


@dataclass
class Point:
    x: float
    y: float
    tags: set[str] = field(default_factory=set)


class BrokenRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


def test_json_values_come_back_as_they_are():
    value = {"a": [1, 2.5, "x", None, True], "b": {"c": []}}
    assert to_jsonable(value) is value
    assert json.loads(dumps(value)) == value


def test_nan_and_infinities_become_null():
    assert to_jsonable([math.nan, math.inf, -math.inf, 1.5]) == [None, None, None, 1.5]
    assert json.loads(dumps({"x": math.nan})) == {"x": None}


def test_bytes_become_base64():
    assert to_jsonable(b"\x00\xff") == base64.b64encode(b"\x00\xff").decode()
    assert json.loads(dumps({"b": bytearray(b"hi")})) == {"b": "aGk="}
    assert json.loads(dumps(memoryview(b"hi"))) == "aGk="


def test_sets_tuples_and_dataclasses():
    assert to_jsonable({3, 1, 2}) == [1, 2, 3]
    assert to_jsonable((1, (b"x",))) == [1, ["eA=="]]
    assert to_jsonable(Point(1.0, math.nan, {"b", "a"})) == {
        "x": 1.0, "y": None, "tags": ["a", "b"]}
    assert json.loads(dumps(Point(1, 2))) == {"x": 1, "y": 2, "tags": []}


def test_anything_else_becomes_its_repr():
    class Thing:
        def __repr__(self) -> str:
            return "<Thing>"

    assert to_jsonable({"t": Thing()}) == {"t": "<Thing>"}
    assert json.loads(dumps([Thing()])) == ["<Thing>"]
    assert to_jsonable(BrokenRepr()) == "<BrokenRepr object>"
    assert json.loads(dumps({"x": BrokenRepr()})) == {"x": "<BrokenRepr object>"}


def test_keys_that_json_refuses():
    value = {(1, 2): "tuple", 3: "int", None: "none", 1.5: "float"}
    assert to_jsonable(value) == {"(1, 2)": "tuple", "3": "int", "null": "none",
                                  "1.5": "float"}
    assert json.loads(dumps(value))["(1, 2)"] == "tuple"


def test_cycles_and_deep_nesting():
    loop: list = [1]
    loop.append(loop)
    assert to_jsonable(loop) == [1, "<cycle>"]
    deep: list = []
    cursor = deep
    for _ in range(5000):
        cursor.append([])
        cursor = cursor[0]
    json.loads(dumps(deep))  # cut off, not a RecursionError


def test_shared_values_are_not_cycles():
    shared = [1]
    assert to_jsonable({"a": shared, "b": shared, "c": math.nan}) == {
        "a": [1], "b": [1], "c": None}


def test_dumps_is_one_ascii_line():
    text = dumps({"s": "line\nbreak é \udc80", "n": math.nan})
    assert "\n" not in text and text.isascii()
    assert json.loads(text)["s"] == "line\nbreak é \udc80"
