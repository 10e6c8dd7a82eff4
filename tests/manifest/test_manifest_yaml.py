"""yamlload: data, line numbers and YAML errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

from oocana_local.manifest.yamlload import parse_yaml, read_yaml

FILE = Path("/x/flow.oo.yaml")


def parse(text: str):
    doc, problems = parse_yaml(textwrap.dedent(text).lstrip("\n"), FILE)
    return doc, problems


def test_scalars_follow_the_yaml_1_2_core_schema_like_the_engine():
    doc, problems = parse(
        """
        country: NO
        answer: yes
        off: off
        day: 2024-01-02
        int: 12
        neg: -3
        hex: 0x1f
        octal: 0o17
        leading_zero: "010"
        float: 1.5e3
        inf: -.inf
        nulls: [~, null, Null, NULL]
        empty:
        bools: [true, True, FALSE]
        text: 'quoted 12'
        """
    )
    assert problems == []
    d = doc.data
    assert d["country"] == "NO" and d["answer"] == "yes" and d["off"] == "off"
    assert d["day"] == "2024-01-02"
    assert (d["int"], d["neg"], d["hex"], d["octal"]) == (12, -3, 31, 15)
    assert d["leading_zero"] == "010"
    assert d["float"] == 1500.0 and d["inf"] == float("-inf")
    assert d["nulls"] == [None] * 4 and d["empty"] is None
    assert d["bools"] == [True, True, False]
    assert d["text"] == "quoted 12"


def test_line_of_keys_items_and_missing_paths():
    doc, _ = parse(
        """
        nodes:
          - node_id: a
            inputs_from:
              - handle: x
                value: 1
          - node_id: b
            task:
              executor:
                name: python
        """
    )
    assert doc.line(()) == 1
    assert doc.line(("nodes",)) == 1
    assert doc.line(("nodes", 0)) == 2
    assert doc.line(("nodes", 0, "inputs_from", 0)) == 4
    assert doc.line(("nodes", 0, "inputs_from", 0, "value")) == 5
    assert doc.line(("nodes", 1, "task", "executor", "name")) == 9
    # absent keys fall back to the nearest thing that exists
    assert doc.line(("nodes", 1, "task", "executor", "options", "entry")) == 8
    assert doc.line(("nodes", 7, "node_id")) == 1
    assert doc.line(("nodes", 0, "node_id", 3)) == 2


def test_line_separator_characters_are_stripped():
    doc, problems = parse_yaml("a: x\u2028y\nb: 1\u2029\n", FILE)
    assert problems == []
    assert doc.data == {"a": "xy", "b": 1}


def test_merge_keys_and_anchors():
    doc, problems = parse(
        """
        base: &schema {type: number}
        a:
          <<: *schema
          type: integer
        b: *schema
        """
    )
    assert problems == []
    assert doc.data["a"] == {"type": "integer"}
    assert doc.data["b"] is doc.data["base"]


def test_bad_yaml_is_a_problem_with_line_and_hint():
    doc, problems = parse(
        """
        nodes:
          - node_id: a
            task: self::x
            description: this: breaks
        """
    )
    assert doc is None
    [problem] = problems
    assert problem.severity == "error"
    assert problem.location.file == FILE and problem.location.line == 4
    assert "invalid YAML" in problem.message
    assert "quoted" in problem.hint


def test_tab_indentation_gets_a_tab_hint():
    _, [problem] = parse_yaml("nodes:\n\t- node_id: a\n", FILE)
    assert problem.location.line == 2
    assert "tabs" in problem.hint


def test_unclosed_quote():
    _, [problem] = parse_yaml("a: 1\nb: 'open\nc: 2\n", FILE)
    assert problem.severity == "error"
    assert "quote" in problem.hint


def test_duplicate_keys_are_errors_at_the_second_key():
    doc, [problem] = parse(
        """
        node_id: a
        task: x
        node_id: b
        """
    )
    assert doc.data["node_id"] == "b"
    assert problem.location.line == 3
    assert "duplicate key 'node_id'" in problem.message and "line 1" in problem.message


def test_empty_file_is_none(tmp_path: Path):
    path = tmp_path / "flow.oo.yaml"
    path.write_text("# nothing\n")
    doc, problems = read_yaml(path)
    assert problems == [] and doc.data is None


def test_unreadable_file(tmp_path: Path):
    path = tmp_path / "flow.oo.yaml"
    path.write_bytes(b"a: \xff\xfe\n")
    doc, [problem] = read_yaml(path)
    assert doc is None and "UTF-8" in problem.message
