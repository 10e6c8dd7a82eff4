"""Both validators built from the records of ``raw.py`` agree: the pydantic-free fast
path (``spec.fast_parse``) gives exactly what the pydantic models give, or steps aside."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from oocana_local.manifest import pydantic_models, raw
from oocana_local.manifest.spec import Record, fast_parse, fields_of

ROOT = Path(__file__).resolve().parents[2]
MODELS = {"flow.oo.yaml": "RawFlow", "subflow.oo.yaml": "RawFlow",
          "block.oo.yaml": "RawTaskBlock", "task.oo.yaml": "RawTaskBlock",
          "package.oo.yaml": "RawPackage"}


def dump(value: Any) -> Any:
    """A comparable form of a record."""
    if isinstance(value, Record):
        return (type(value).__name__, sorted(value.model_fields_set), value.model_extra,
                {name: dump(getattr(value, name)) for name in fields_of(type(value))})
    if isinstance(value, list):
        return [dump(v) for v in value]
    return (type(value).__name__, value)


def manifests() -> list[Path]:
    found = [p for p in ROOT.rglob("*.oo.yaml")
             if p.name in MODELS and ".peers" not in p.parts and ".git" not in p.parts]
    return sorted(found)


def test_every_repository_manifest_parses_the_same_as_pydantic() -> None:
    accepted = set()
    for path in manifests():
        data = yaml.safe_load(path.read_text())
        model = MODELS[path.name]
        fast = fast_parse(getattr(raw, model), data)
        if fast is None:
            continue
        slow = pydantic_models.validate(getattr(raw, model), data)
        assert dump(fast) == dump(slow), path
        accepted.add(model)
    assert accepted == {"RawFlow", "RawTaskBlock", "RawPackage"}


@pytest.mark.parametrize("model, data", [
    ("RawFlow", {"nodes": [{"node_id": 3, "task": "x"}]}),           # number as text
    ("RawFlow", {"nodes": [{"node_id": "a", "task": "x", "ignore": "yes"}]}),
    ("RawFlow", {"nodes": [{"node_id": "a", "task": "x", "concurrency": 0}]}),
    ("RawFlow", {"nodes": [{"node_id": "a", "task": "x", "timeout": -1}]}),
    ("RawFlow", {"nodes": [{"task": "x"}]}),                         # no node_id
    ("RawFlow", {"nodes": "a"}),
    ("RawTaskBlock", {"inputs_def": []}),                            # no executor
    ("RawTaskBlock", {"executor": {"name": "python"}, "inputs_def": [{"json_schema": {}}]}),
    ("RawPackage", {"version": 1.0}),
])
def test_anything_unusual_is_left_to_pydantic(model: str, data: Any) -> None:
    assert fast_parse(getattr(raw, model), data) is None


@pytest.mark.parametrize("model, data", [
    ("RawFlow", {"nodes": [{"node_id": "a", "conditions": {"cases": [
        {"handle": "yes", "logical": "and",
         "expressions": [{"input_handle": "x", "operator": ">", "value": 1}]}],
        "default": {"handle": "no"}}}]}),
    ("RawFlow", {"nodes": [{"node_id": "s", "slot": {"a": 1}, "timeout": 2}]}),
    ("RawTaskBlock", {"executor": {"name": "rust", "options": {"bin": "x", "args": [1]}}}),
    ("RawFlow", {"nodes": [{"node_id": "v", "values": [{"handle": "a", "value": None}]},
                           {"node_id": "t", "task": {"executor": {"name": "python"}},
                            "progress_weight": 2, "concurrency": 3}]}),
])
def test_the_fast_path_takes_every_node_kind_and_agrees(model: str, data: Any) -> None:
    fast = fast_parse(getattr(raw, model), data)
    assert fast is not None
    assert dump(fast) == dump(pydantic_models.validate(getattr(raw, model), data))


def test_value_presence_and_flags_match_pydantic() -> None:
    data = {"executor": {"name": "python", "options": {"entry": "main.py", "spawn": True}},
            "inputs_def": [{"handle": "a", "value": None}, {"group": "More"},
                           {"handle": "b", "nullable": True}],
            "additional_inputs": {"json_schema": {}}}
    fast = fast_parse(raw.RawTaskBlock, data)
    assert fast is not None
    assert dump(fast) == dump(pydantic_models.validate(raw.RawTaskBlock, data))
    assert fast.executor.options.model_dump(exclude_unset=True) == {
        "entry": "main.py", "spawn": True}


def test_running_a_plain_flow_does_not_import_pydantic(tmp_path: Path) -> None:
    block = tmp_path / "inc"
    block.mkdir()
    (block / "block.oo.yaml").write_text(
        "executor: {name: python, options: {entry: main.py}}\n"
        "inputs_def: [{handle: x}]\noutputs_def: [{handle: x}]\n")
    (block / "main.py").write_text("def main(inputs):\n    return {'x': inputs['x'] + 1}\n")
    (tmp_path / "flow.oo.yaml").write_text(
        "nodes:\n  - node_id: n\n    task: ./inc\n    inputs_from: [{handle: x, value: 1}]\n")
    code = ("import sys, oocana_local\n"
            f"r = oocana_local.run({str(tmp_path)!r})\n"
            "assert r.status == 'completed', r.error\n"
            "print('pydantic' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
