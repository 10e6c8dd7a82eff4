"""check(): every kind of problem, at the right file and line, and load() agreeing with it."""

from __future__ import annotations

from pathlib import Path

import pytest
from manifest_helpers import MAIN_PY, block_yaml

from oocana_local.errors import ManifestError
from oocana_local.manifest import Problem, check, load

PKG_FILES = {
    "pkg/package.oo.yaml": "name: pkg\n",
    "pkg/blocks/add/block.oo.yaml": block_yaml(("a", "b"), ("sum",)),
    "pkg/blocks/add/main.py": MAIN_PY,
}


def problems_of(tree, flow_text: str, **files: str) -> tuple[Path, list[Problem]]:
    root = tree({**PKG_FILES, "pkg/flows/f/flow.oo.yaml": flow_text, **files})
    return root, check(root / "pkg/flows/f/flow.oo.yaml")


def summary(problems: list[Problem]) -> list[tuple[int, str, str]]:
    return [(p.location.line, p.severity, p.message) for p in problems]


def test_clean_flow_has_no_problems(tree):
    _, problems = problems_of(
        tree,
        """
        inputs_def: [{handle: x}]
        outputs_def: [{handle: y}]
        nodes:
          - node_id: a
            task: self::add
            inputs_from:
              - {handle: a, from_flow: [{input_handle: x}]}
              - {handle: b, value: 2}
        outputs_from:
          - handle: y
            from_node: [{node_id: a, output_handle: sum}]
        """,
    )
    assert problems == []


def test_wiring_problems_with_lines(tree):
    _, problems = problems_of(
        tree,
        """
        inputs_def: [{handle: x}]
        outputs_def: [{handle: y}]
        nodes:
          - node_id: a
            task: self::add
            inputs_from:
              - handle: a
                from_flow: [{input_handle: xx}]
              - handle: b
                value: 1
              - handle: c
                value: 3
          - node_id: b
            task: self::add
            inputs_from:
              - handle: a
                from_node:
                  - {node_id: aa, output_handle: sum}
              - handle: b
                from_node:
                  - {node_id: a, output_handle: summ}
          - node_id: a
            task: self::add
            inputs_from: [{handle: a, value: 1}, {handle: b, value: 1}]
        outputs_from:
          - handle: y
            from_node: [{node_id: zz, output_handle: sum}]
          - handle: yy
            from_node: [{node_id: b, output_handle: nope}]
            from_flow: [{input_handle: nope}]
        """,
    )
    assert summary(problems) == [
        (4, "warning", "node 'a' will never run: input handle(s) [a] have no source and no value"),
        (
            8,
            "warning",
            "node 'a' input 'a': from_flow names flow input 'xx', which the flow's inputs_def "
            "does not define; the connection is dropped",
        ),
        (
            11,
            "warning",
            "node 'a': inputs_from names input handle 'c', which block 'self::add' does not have; "
            "it is ignored",
        ),
        (
            13,
            "warning",
            "node 'b' will never run: input handle(s) [a, b] have no source and no value",
        ),
        (
            18,
            "warning",
            "node 'b' input 'a': from_node names node 'aa', which is not in this flow",
        ),
        (
            21,
            "warning",
            "node 'b' input 'b': node 'a' has no output handle 'summ', so nothing will arrive "
            "through this connection",
        ),
        (22, "error", "duplicate node_id 'a' (first used on line 4)"),
        (
            27,
            "warning",
            "flow output 'y': from_node names node 'zz', which is not in this flow",
        ),
        (
            28,
            "warning",
            "outputs_from wires flow output 'yy', which is not in the flow's outputs_def",
        ),
        (
            29,
            "warning",
            "flow output 'yy': node 'b' has no output handle 'nope', so nothing will arrive "
            "through this connection",
        ),
        (
            30,
            "warning",
            "flow output 'yy': from_flow names flow input 'nope', which the flow's inputs_def "
            "does not define; the connection is dropped",
        ),
    ]
    hints = {p.location.line: p.hint for p in problems}
    assert hints[8] == "did you mean 'x'? the flow inputs are: x"
    assert hints[11] == "the input handles of block 'self::add' are: a, b"
    assert hints[18] == "did you mean 'a'?"
    assert hints[21] == "did you mean 'sum'? the outputs of node 'a' are: sum"
    assert "value:" in hints[4]


def test_never_run_counts_handles_without_any_inputs_from_entry(tree):
    _, [problem] = problems_of(
        tree,
        """
        nodes:
          - node_id: a
            task: self::add
        """,
    )
    assert problem.location.line == 2
    assert (
        problem.message
        == "node 'a' will never run: input handle(s) [a, b] have no source and no value"
    )


def test_block_inputs_def_value_is_not_a_node_value(tree):
    """Engine §1.3: a block's inputs_def value is ignored inside a flow."""
    _, [problem] = problems_of(
        tree,
        """
        nodes:
          - node_id: a
            task: self::c
            inputs_from: [{handle: a, value: 1}]
        """,
        **{
            "pkg/blocks/c/block.oo.yaml": """
                executor: {name: python, options: {entry: main.py}}
                inputs_def:
                  - {handle: a}
                  - {handle: b, value: 5, nullable: true}
                """,
            "pkg/blocks/c/main.py": MAIN_PY,
        },
    )
    assert "[b]" in problem.message


def test_value_nodes_are_sources_and_ignored_nodes_are_removed(tree):
    _, problems = problems_of(
        tree,
        """
        nodes:
          - node_id: v
            values: [{handle: n, value: 4}, {handle: absent}]
          - node_id: up
            ignore: true
            task: self::add
          - node_id: uses_value_node
            task: self::add
            inputs_from:
              - {handle: a, from_node: [{node_id: v, output_handle: n}]}
              - {handle: b, value: 5, from_node: [{node_id: v, output_handle: n}]}
          - node_id: falls_back_to_static_value
            task: self::add
            inputs_from:
              - {handle: a, value: 1, from_node: [{node_id: up, output_handle: sum}]}
              - {handle: b, value: null}
          - node_id: fed_only_by_ignored
            task: self::add
            inputs_from:
              - {handle: a, from_node: [{node_id: up, output_handle: sum}]}
              - {handle: b, from_node: [{node_id: v, output_handle: absent}]}
          - node_id: ignored_with_bad_ref
            ignore: true
            task: self::nope
        """,
    )
    assert summary(problems) == [
        (
            17,
            "warning",
            "node 'fed_only_by_ignored' will never run: input handle(s) [a, b] have no source "
            "and no value",
        ),
        (
            24,
            "warning",
            "node 'ignored_with_bad_ref': cannot find task block 'self::nope' (the node is ignored)",
        ),
    ]


def test_connected_handle_ignores_its_static_value(tree):
    """A handle wired to a node output that never comes stays unfed even with a value."""
    _, problems = problems_of(
        tree,
        """
        nodes:
          - node_id: up
            task: self::add
            inputs_from: [{handle: a, value: 1}, {handle: b, value: 1}]
          - node_id: down
            task: self::add
            inputs_from:
              - {handle: a, value: 1, from_node: [{node_id: up, output_handle: wrong}]}
              - {handle: b, value: 1}
        """,
    )
    assert [p.location.line for p in problems] == [5, 8]
    assert "will never run" in problems[0].message and "[a]" in problems[0].message


def test_unknown_reference_is_an_error_with_searched_paths(tree):
    root, [problem] = problems_of(
        tree,
        """
        nodes:
          - node_id: a
            task: self::ad
        """,
    )
    assert (problem.severity, problem.location.line) == ("error", 3)
    assert problem.message == "node 'a': cannot find task block 'self::ad'"
    assert problem.hint.startswith("did you mean 'self::add'? searched:")
    assert str(root / "pkg/blocks/ad/block.oo.yaml") in problem.hint
    assert str(root / "pkg/tasks/ad/task.oo.yml") in problem.hint


def test_schema_errors_point_at_their_keys(tree):
    _, problems = problems_of(
        tree,
        """
        nodes:
          - node_id: a
            task:
              executor:
                options: {entry: main.py}
          - node_id: b
            task: self::add
            concurrency: many
            inputs_from:
              - handle: a
                from_node: [{node_id: x}]
          - node_id: c
          - node_id: d
            conditions:
              cases:
                - handle: yes
                  expressions: [{input_handle: x, operator: "=<"}]
        """,
    )
    assert summary(problems) == [
        (4, "error", "node 'a': task.executor: required key 'name' is missing"),
        (
            8,
            "error",
            "node 'b': concurrency: Input should be a valid integer, unable to parse string as an integer (found 'many')",
        ),
        (
            11,
            "error",
            "node 'b': inputs_from[0].from_node[0]: required key 'output_handle' is missing",
        ),
        (
            12,
            "error",
            "node 'c': a node must be a mapping with one of the keys task, subflow, slot, service, conditions or values",
        ),
        (17, "error", problems[4].message),
    ]
    assert problems[4].message.startswith(
        "node 'd': conditions.cases[0].expressions[0].operator: Input should be"
    )
    assert problems[4].hint == "did you mean '<='?"
    assert problems[0].hint == "add `name: python` (the executor that runs the block)"
    assert problems[3].hint.startswith("give the node one of")


def test_bad_yaml_and_empty_files(tree):
    root = tree(
        {
            "p/flows/bad/flow.oo.yaml": "nodes:\n  - node_id: a\n   task: x\n",
            "p/blocks/empty/block.oo.yaml": "",
            "p/blocks/list/block.oo.yaml": "- a\n- b\n",
        }
    )
    problems = check(root / "p")
    assert [(p.location.file.parent.name, p.location.line, p.severity) for p in problems] == [
        ("empty", 1, "error"),
        ("list", 1, "error"),
        ("bad", 3, "error"),
    ]
    assert problems[0].message == "the block manifest is empty"
    assert problems[1].message == "a block manifest must be a mapping of keys, not a list"
    assert problems[2].message.startswith("invalid YAML")


def test_python_entry_must_exist(tree):
    root = tree(
        {
            "p/blocks/b/block.oo.yaml": "executor:\n  name: python\n  options:\n    entry: mian.py\n",
            "p/blocks/b/main.py": MAIN_PY,
            "p/blocks/default/block.oo.yaml": "executor: {name: python}\n",
            "p/flows/f/flow.oo.yaml": """
                nodes:
                  - node_id: inline
                    task:
                      executor:
                        name: python
                        options:
                          entry: scriptlets/+python#1.py
            """,
        }
    )
    problems = check(root / "p")
    assert summary(problems) == [
        (4, "error", problems[0].message),
        (1, "error", problems[1].message),
        (7, "error", problems[2].message),
    ]
    assert problems[0].location.file.parent.name == "b"
    assert "'mian.py' does not exist" in problems[0].message
    assert (
        problems[0].hint
        == "create it, or fix executor.options.entry (relative to the block's folder)"
    )
    assert "'index.py' does not exist" in problems[1].message
    assert "'scriptlets/+python#1.py' does not exist" in problems[2].message
    assert str(root / "p/flows/f/scriptlets/+python#1.py") in problems[2].message
    assert "the flow's folder" in problems[2].hint


def test_non_python_executors_warn(tree):
    _, problems = problems_of(
        tree,
        """
        nodes:
          - node_id: js
            task:
              executor: {name: rust}
          - node_id: sh
            task: self::sh
        """,
        **{"pkg/blocks/sh/block.oo.yaml": "executor:\n  name: connector\n"},
    )
    assert [(p.location.line, p.severity) for p in problems] == [(2, "warning"), (5, "warning")]
    assert "'rust' executor; oocana-local runs python, nodejs and shell blocks only" in problems[0].message


def test_extra_handles_without_additional_inputs(tree):
    _, [problem] = problems_of(
        tree,
        """
        nodes:
          - node_id: a
            task: self::add
            inputs_def: [{handle: extra}]
            inputs_from: [{handle: a, value: 1}, {handle: b, value: 1}]
        """,
    )
    assert problem.location.line == 2
    assert "does not allow additional inputs" in problem.message
    assert problem.hint.startswith("set `additional_inputs: true`")


def test_subflow_cycles_are_errors(tree):
    root = tree(
        {
            "p/package.oo.yaml": "name: p\n",
            "p/flows/f/flow.oo.yaml": "nodes:\n  - node_id: s\n    subflow: self::a\n",
            "p/subflows/a/subflow.oo.yaml": "nodes:\n  - node_id: to_b\n    subflow: self::b\n",
            "p/subflows/b/subflow.oo.yaml": "nodes:\n  - node_id: to_a\n    subflow: self::a\n",
            "p/subflows/self/subflow.oo.yaml": "nodes:\n  - {node_id: me, subflow: self::self}\n",
        }
    )
    with pytest.raises(ManifestError) as info:
        load(root / "p/flows/f")
    [problem] = info.value.problems
    assert problem.location.file == root / "p/subflows/b/subflow.oo.yaml"
    assert problem.location.line == 3
    assert problem.message == (
        "node 'to_a': subflow 'self::a' contains itself: "
        "subflows/a/subflow.oo.yaml -> subflows/b/subflow.oo.yaml -> subflows/a/subflow.oo.yaml"
    )
    problems = check(root / "p")
    # the a -> b -> a cycle is reported once, where the walk closes it
    assert [p.location.file.parent.name for p in problems] == ["b", "self"]
    assert all("contains itself" in p.message for p in problems)


def test_check_walks_folders_and_skips_hidden_and_vendor_dirs(tree):
    bad = "nodes: [\n"
    root = tree(
        {
            "p/flows/ok/flow.oo.yaml": "nodes: []\n",
            "p/.hidden/flow.oo.yaml": bad,
            "p/node_modules/x/flow.oo.yaml": bad,
            "p/.venv/x/flow.oo.yaml": bad,
            "p/__pycache__/flow.oo.yaml": bad,
            "p/package.oo.yaml": "name: [oops\n",
            "p/service.oo.yaml": "executor: {name: python}\nblocks: [{inputs_def: []}]\n",
        }
    )
    problems = check(root / "p")
    assert [(p.location.file.name, p.location.line) for p in problems] == [
        ("package.oo.yaml", 2),
        ("service.oo.yaml", 2),
    ]


def test_load_reports_what_check_reports(tree):
    root, problems = problems_of(
        tree,
        """
        nodes:
          - node_id: a
            task: self::add
            inputs_from: [{handle: a, value: 1}]
          - node_id: b
            task: self::nope
        """,
    )
    with pytest.raises(ManifestError) as info:
        load(root / "pkg/flows/f")
    assert info.value.problems == problems
    assert [p.severity for p in problems] == ["warning", "error"]


def test_warnings_do_not_stop_load(tree):
    root, problems = problems_of(
        tree,
        """
        nodes:
          - node_id: a
            task: self::add
        """,
    )
    warnings: list[Problem] = []
    flow = load(root / "pkg/flows/f", warnings=warnings)
    assert flow.nodes[0].node_id == "a"
    assert warnings == problems and warnings[0].severity == "warning"


def test_problems_format_with_file_line_and_hint(tree):
    root, [problem] = problems_of(tree, "nodes:\n  - node_id: a\n    task: self::ad\n")
    text = problem.format()
    first, second = text.split("\n")[:2]
    assert (
        first
        == f"{root}/pkg/flows/f/flow.oo.yaml:3: error: node 'a': cannot find task block 'self::ad'"
    )
    assert second == "    hint: did you mean 'self::add'? searched:"


def test_problems_in_referenced_blocks_are_reported_once(tree):
    root = tree(
        {
            "pkg/flows/f/flow.oo.yaml": "nodes:\n  - {node_id: a, task: self::b}\n  - {node_id: c, task: self::b}\n",
            "pkg/blocks/b/block.oo.yaml": "executor: {name: python, options: {entry: gone.py}}\n",
        }
    )
    problems = check(root / "pkg")
    assert [(p.location.file.name, p.location.line) for p in problems] == [("block.oo.yaml", 1)]


def test_single_value_node_source_replaces_the_static_value(tree):
    """Engine §1.6: one edge from a value node is that node's value, even an absent one."""
    _, problems = problems_of(
        tree,
        """
        nodes:
          - node_id: v
            values: [{handle: has, value: 4}, {handle: absent}]
          - node_id: ok
            task: self::add
            inputs_from:
              - {handle: a, value: 5, from_node: [{node_id: v, output_handle: has}]}
              - {handle: b, value: 5}
          - node_id: starved
            task: self::add
            inputs_from:
              - {handle: a, value: 5, from_node: [{node_id: v, output_handle: absent}]}
              - {handle: b, value: 5}
              - {handle: b, value: 6}
        """,
    )
    assert summary(problems) == [
        (
            9,
            "warning",
            "node 'starved' will never run: input handle(s) [a] have no source and no value",
        ),
        (14, "warning", "node 'starved': input handle 'b' appears more than once in inputs_from"),
    ]


def test_read_returns_problems_without_raising(tree):
    from oocana_local.manifest import Loader

    root = tree({"f/flow.oo.yaml": "nodes:\n  - {node_id: a, task: self::nope}\n"})
    flow, problems = Loader().read(root / "f")
    assert flow.nodes[0].block is None
    assert [p.severity for p in problems] == ["error"]


def test_a_manifest_that_is_neither_flow_nor_block(tree):
    root = tree({"x/thing.oo.yaml": "name: x\n"})
    with pytest.raises(ManifestError, match="neither a flow nor a block"):
        load(root / "x/thing.oo.yaml")


def test_check_a_single_block_file(tree):
    root = tree({"b/block.oo.yaml": "executor:\n  name: rust\n"})
    [problem] = check(root / "b/block.oo.yaml")
    assert (problem.severity, problem.location.line) == ("warning", 2)
    assert problem.message.startswith("block 'b' uses the 'rust' executor")
