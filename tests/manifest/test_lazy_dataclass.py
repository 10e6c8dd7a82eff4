"""The manifest records are lazy dataclasses (``oocana_local/_dataclass.py``): made real
on first use, and then ordinary dataclasses in every way the engine relies on."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import subprocess
import sys

from oocana_local.manifest.resolved import HandleDef, InputFrom, Location, TaskNode


def test_records_behave_as_dataclasses() -> None:
    node = TaskNode(node_id="a", inputs_from=[InputFrom("x", value=1)])

    assert node == TaskNode(node_id="a", inputs_from=[InputFrom("x", value=1)])
    assert node.concurrency == 1 and node.inputs_def == []  # defaults, fresh lists
    assert TaskNode(node_id="b").inputs_def is not TaskNode(node_id="c").inputs_def
    assert "node_id='a'" in repr(node)
    assert dataclasses.replace(node, node_id="b").node_id == "b"
    handle = HandleDef("h")
    assert [f.name for f in dataclasses.fields(handle)][:2] == ["handle", "json_schema"]
    assert copy.deepcopy(node) == node
    assert hash(Location("f", 1)) == hash(Location("f", 1))  # frozen: hashable


def test_a_record_unpickled_before_any_was_made_is_real() -> None:
    blob = pickle.dumps([Location("flow.oo.yaml", 3), HandleDef("h", value=None)])
    code = ("import pickle, sys\n"
            "from oocana_local.manifest.resolved import HandleDef, Location\n"
            "where, handle = pickle.loads(sys.stdin.buffer.read())\n"
            "assert where == Location('flow.oo.yaml', 3), where\n"
            "assert hash(where) == hash(Location('flow.oo.yaml', 3))\n"
            "assert handle == HandleDef('h', value=None) and handle.has_value()\n"
            "print(repr(where))")
    done = subprocess.run([sys.executable, "-c", code], input=blob, capture_output=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().strip() == "Location(file='flow.oo.yaml', line=3)"
