"""What the loader builds from the YAML: handle defs, nodes, blocks, packages."""

from __future__ import annotations

from pathlib import Path

import pytest
from manifest_helpers import MAIN_PY, block_yaml

from oocana_local.errors import ManifestError
from oocana_local.manifest import (
    MISSING,
    ConditionNode,
    Flow,
    Loader,
    SlotNode,
    SubflowNode,
    TaskBlock,
    TaskNode,
    ValueNode,
    load,
)


def flow_in(tree, text: str, **files: str) -> Flow:
    root = tree({"pkg/flows/f/flow.oo.yaml": text, **files})
    warnings: list = []
    flow = load(root / "pkg/flows/f", warnings=warnings)
    assert isinstance(flow, Flow)
    return flow


class TestHandleDefs:
    def test_value_has_three_states_and_nullable_means_null(self, tree):
        root = tree(
            {
                "b/block.oo.yaml": """
                    executor: {name: python, options: {entry: main.py}}
                    inputs_def:
                      - handle: absent
                      - handle: empty
                        value:
                      - handle: null_value
                        value: null
                      - handle: zero
                        value: 0
                      - handle: nullable
                        nullable: true
                      - handle: nullable_with_value
                        nullable: true
                        value: 5
                      - handle: not_nullable
                        nullable: false
                    """,
                "b/main.py": MAIN_PY,
            }
        )
        block = load(root / "b")
        values = {h: d.value for h, d in block.inputs_def.items()}
        assert values == {
            "absent": MISSING,
            "empty": None,
            "null_value": None,
            "zero": 0,
            "nullable": None,
            "nullable_with_value": 5,
            "not_nullable": MISSING,
        }
        assert not block.inputs_def["absent"].has_value()
        assert block.inputs_def["empty"].has_value()

    def test_group_items_are_dropped_and_unknown_keys_kept_in_raw(self, tree):
        root = tree(
            {
                "b/block.oo.yaml": """
                    title: "%block.title%"
                    icon: ":carbon:add:"
                    executor: {name: python, options: {entry: main.py}}
                    inputs_def:
                      - group: Basics
                        collapsed: false
                      - handle: a
                        json_schema: {type: number, contentMediaType: oomol/var}
                        description: "%a.description%"
                        kind: primitive
                        ui: {widget: slider}
                      - group: Advanced
                      - handle: b
                    outputs_def:
                      - group: Out
                      - handle: out
                    """,
                "b/main.py": MAIN_PY,
            }
        )
        block = load(root / "b")
        assert list(block.inputs_def) == ["a", "b"]
        assert list(block.outputs_def) == ["out"]
        a = block.inputs_def["a"]
        assert a.content_media_type == "oomol/var"
        assert a.description == "%a.description%" and a.kind == "primitive"
        assert a.raw["ui"] == {"widget": "slider"}

    def test_inputs_from_value_tri_state(self, tree):
        flow = flow_in(
            tree,
            """
            nodes:
              - node_id: n
                task: self::b
                inputs_from:
                  - handle: a
                  - handle: b
                    value:
                  - handle: c
                    value: [1, 2]
            """,
            **{
                "pkg/blocks/b/block.oo.yaml": block_yaml(("a", "b", "c")),
                "pkg/blocks/b/main.py": MAIN_PY,
            },
        )
        values = [i.value for i in flow.nodes[0].inputs_from]
        assert values == [MISSING, None, [1, 2]]


class TestTaskBlocks:
    def test_executor_options(self, tree):
        root = tree(
            {
                "b/block.oo.yaml": """
                    executor:
                      name: python
                      options: {entry: src/run.py, function: go, spawn: true, extra: 1}
                    additional_inputs: {json_schema: {}}
                    additional_outputs: true
                    """,
                "b/src/run.py": MAIN_PY,
            }
        )
        block = load(root / "b")
        assert isinstance(block, TaskBlock)
        assert block.executor == "python" and block.entry == "src/run.py"
        assert block.function == "go" and block.spawn is True
        assert block.additional_inputs is True and block.additional_outputs is True
        assert block.options == {"entry": "src/run.py", "function": "go", "spawn": True, "extra": 1}
        assert block.dir == root / "b" and block.path == root / "b/block.oo.yaml"
        assert block.location.file == block.path

    def test_python_defaults(self, tree):
        root = tree({"b/block.oo.yaml": "executor: {name: python}\n", "b/index.py": MAIN_PY})
        block = load(root / "b")
        assert block.entry == "index.py" and block.function == "main" and block.spawn is False
        assert block.inputs_def == {} and block.additional_inputs is False

    def test_inline_source_has_no_entry(self, tree):
        root = tree(
            {
                "b/block.oo.yaml": """
                    executor:
                      name: python
                      options:
                        source: |
                          def main(params):
                              return {"out": 1}
                    """
            }
        )
        block = load(root / "b")
        assert block.entry is None and "def main" in block.source

    def test_other_executors_are_parsed(self, tree):
        root = tree(
            {
                "b/block.oo.yaml": """
                    executor:
                      name: rust
                      options: {bin: cargo}
                    """
            }
        )
        warnings: list = []
        block = load(root / "b", warnings=warnings)
        assert block.executor == "rust"
        [warning] = warnings
        assert warning.severity == "warning" and "shell blocks only" in warning.message
        assert warning.location.line == 2

    def test_nodejs_executor_options(self, tree):
        root = tree({"b/block.oo.yaml": "executor:\n  name: nodejs\n  options: {entry: main.js}\n",
                     "b/main.js": "module.exports = () => ({});\n"})
        warnings: list = []
        block = load(root / "b", warnings=warnings)
        assert block.executor == "nodejs" and block.entry == "main.js" and warnings == []

    def test_shell_executor_without_options(self, tree):
        root = tree({"b/task.oo.yaml": "executor:\n  name: shell\n"})
        block = load(root / "b")
        assert block.executor == "shell" and block.entry is None and block.options == {}


class TestNodes:
    def test_node_fields_and_locations(self, tree):
        flow = flow_in(
            tree,
            """
            nodes:
              - node_id: n
                title: "Add #1"
                ui: {x: 1}
                task: self::b
                timeout: 30
                concurrency: 3
                progress_weight: 2.5
                description: adds
                inputs_from:
                  - handle: a
                    value: 1
                    schema_overrides:
                      - {path: a, schema: {contentMediaType: oomol/secret}}
                      - {path: b, schema: {type: string}}
                    serialize_for_cache: true
            """,
            **{"pkg/blocks/b/block.oo.yaml": block_yaml(("a",)), "pkg/blocks/b/main.py": MAIN_PY},
        )
        [node] = flow.nodes
        assert isinstance(node, TaskNode)
        assert (node.timeout, node.concurrency, node.progress_weight) == (30, 3, 2.5)
        assert node.description == "adds" and node.ref == "self::b"
        assert node.location.line == 2 and node.location.file == flow.path
        [item] = node.inputs_from
        assert item.location.line == 11 and item.serialize_for_cache is True
        assert item.schema_overrides == [
            {"path": "a", "schema": {"contentMediaType": "oomol/secret"}}
        ]
        assert node.block.inputs_def["a"].handle == "a"

    def test_node_kind_order_task_first(self, tree):
        flow = flow_in(
            tree,
            """
            nodes:
              - node_id: both
                values: [{handle: x, value: 1}]
                task:
                  executor: {name: python, options: {entry: main.py}}
            """,
            **{"pkg/flows/f/main.py": MAIN_PY},
        )
        assert isinstance(flow.nodes[0], TaskNode)

    def test_inline_task_entry_is_relative_to_the_flow_folder(self, tree):
        flow = flow_in(
            tree,
            """
            nodes:
              - node_id: "+python#1"
                task:
                  executor:
                    name: python
                    options: {entry: "scriptlets/+python#1.py"}
                  inputs_def: [{handle: a}]
                  outputs_def: [{handle: out}]
                inputs_from: [{handle: a, value: 1}]
            """,
            **{"pkg/flows/f/scriptlets/+python#1.py": MAIN_PY},
        )
        node = flow.nodes[0]
        assert node.ref is None and node.block.path is None
        assert node.block.dir == flow.dir
        assert (node.block.dir / node.block.entry).is_file()
        assert node.block.location.line == 3
        assert node.block.package.name == "workspace"

    def test_value_nodes(self, tree):
        flow = flow_in(
            tree,
            """
            nodes:
              - node_id: "+value#1"
                values:
                  - handle: n
                    json_schema: {type: number}
                    value: 4
                  - handle: empty
                    value:
                  - handle: absent
            """,
        )
        [node] = flow.nodes
        assert isinstance(node, ValueNode)
        assert [(v.handle, v.value) for v in node.values] == [
            ("n", 4),
            ("empty", None),
            ("absent", MISSING),
        ]

    def test_condition_nodes(self, tree):
        flow = flow_in(
            tree,
            """
            inputs_def: [{handle: x}]
            nodes:
              - node_id: cond
                inputs_def: [{handle: x, json_schema: {type: integer}}]
                conditions:
                  cases:
                    - handle: big
                      logical: and
                      expressions:
                        - {input_handle: x, operator: ">", value: 10}
                        - {input_handle: x, operator: is not null}
                    - handle: small
                      expressions: [{input_handle: x, operator: "<=", value: 10}]
                  default: {handle: other}
                inputs_from: [{handle: x, from_flow: [{input_handle: x}]}]
            """,
        )
        [node] = flow.nodes
        assert isinstance(node, ConditionNode)
        assert [c.handle for c in node.cases] == ["big", "small"]
        assert node.cases[0].logical == "AND" and node.cases[1].logical == "OR"
        assert node.cases[0].expressions[0] == {"input_handle": "x", "operator": ">", "value": 10}
        assert node.cases[0].expressions[1]["value"] is None
        assert node.default == "other"
        assert [h.handle for h in node.inputs_def] == ["x"]

    def test_additional_inputs_on_the_node(self, tree):
        flow = flow_in(
            tree,
            """
            nodes:
              - node_id: n
                task: self::b
                inputs_def: [{handle: extra, json_schema: {type: string}}]
                outputs_def: [{handle: more}]
                inputs_from:
                  - {handle: a, value: 1}
                  - {handle: extra, value: hi}
              - node_id: m
                task: self::b
                inputs_from:
                  - handle: a
                    from_node: [{node_id: n, output_handle: more}]
            """,
            **{
                "pkg/blocks/b/block.oo.yaml": block_yaml(("a",))
                + "additional_inputs: true\nadditional_outputs: true\n",
                "pkg/blocks/b/main.py": MAIN_PY,
            },
        )
        node = flow.nodes[0]
        assert [h.handle for h in node.inputs_def] == ["extra"]
        assert node.inputs_def[0].is_additional and node.outputs_def[0].is_additional

    def test_slot_nodes_and_service_references(self, tree):
        root = tree(
            {
                "pkg/flows/f/flow.oo.yaml": """
                    nodes:
                      - node_id: s
                        slot: {inputs_def: [{handle: x}], outputs_def: [{handle: y}]}
                    """,
                "pkg/flows/g/flow.oo.yaml": """
                    nodes:
                      - node_id: svc
                        service: app::one::a
                    """,
            }
        )
        flow = load(root / "pkg/flows/f")
        assert [type(n) for n in flow.nodes] == [SlotNode]
        assert [h.handle for h in flow.nodes[0].inputs_def] == ["x"]
        assert [h.handle for h in flow.nodes[0].outputs_def] == ["y"]
        with pytest.raises(ManifestError, match="cannot find service 'app::one'"):
            load(root / "pkg/flows/g")

    def test_subflow_nodes_are_resolved_recursively(self, tree):
        root = tree(
            {
                "pkg/package.oo.yaml": "name: pkg\n",
                "pkg/flows/f/flow.oo.yaml": """
                    nodes:
                      - node_id: s
                        subflow: self::sub
                        inputs_from: [{handle: x, value: 1}]
                        slots: [{slot_node_id: a, task: self::b}]
                    """,
                "pkg/subflows/sub/subflow.oo.yaml": """
                    inputs_def: [{handle: x}]
                    outputs_def: [{handle: out}]
                    nodes:
                      - node_id: inner
                        task: self::b
                        inputs_from: [{handle: a, from_flow: [{input_handle: x}]}]
                    outputs_from:
                      - handle: out
                        from_node: [{node_id: inner, output_handle: out}]
                    forward_previews: [inner]
                    """,
                "pkg/blocks/b/block.oo.yaml": block_yaml(("a",)),
                "pkg/blocks/b/main.py": MAIN_PY,
            }
        )
        flow = load(root / "pkg/flows/f")
        [node] = flow.nodes
        assert isinstance(node, SubflowNode) and node.ref == "self::sub"
        assert node.slots == [{"slot_node_id": "a", "task": "self::b"}]
        sub = node.flow
        assert sub.kind == "subflow" and sub.path == root / "pkg/subflows/sub/subflow.oo.yaml"
        assert sub.forward_previews == ["inner"]
        assert sub.outputs_from[0].from_node[0].node_id == "inner"
        assert sub.nodes[0].block.path == root / "pkg/blocks/b/block.oo.yaml"
        assert sub.package.name == "pkg" and flow.package.name == "pkg"


class TestPackages:
    def test_package_info(self, tree):
        root = tree(
            {
                "my-pkg/package.oo.yaml": """
                    name: my-pkg
                    version: 1.2.0
                    dependencies: {other: "0.1.0"}
                    scripts: {bootstrap: pip install -r requirements.txt}
                    """,
                "my-pkg/blocks/b/block.oo.yaml": block_yaml(),
                "my-pkg/blocks/b/main.py": MAIN_PY,
            }
        )
        block = load(root / "my-pkg/blocks/b")
        package = block.package
        assert (package.name, package.version, package.dir) == ("my-pkg", "1.2.0", root / "my-pkg")
        assert package.dependencies == {"other": "0.1.0"}

    def test_workspace_without_package_is_the_flow_folders_grandparent(self, tree):
        root = tree({"ws/flows/f/flow.oo.yaml": "nodes: []\n"})
        flow = load(root / "ws/flows/f")
        assert flow.package.name == "workspace" and flow.package.dir == root / "ws"


class TestLoadPaths:
    def test_folder_prefers_flow_over_block(self, tree):
        root = tree(
            {
                "x/flow.oo.yaml": "nodes: []\n",
                "x/block.oo.yaml": block_yaml(),
                "x/main.py": MAIN_PY,
            }
        )
        assert isinstance(load(root / "x"), Flow)

    @pytest.mark.parametrize(
        ("name", "kind"),
        [
            ("flow.oo.yaml", "flow"),
            ("flow.oo.yml", "flow"),
            ("subflow.oo.yaml", "subflow"),
            ("subflow.oo.yml", "subflow"),
            ("block.oo.yaml", "task"),
            ("block.oo.yml", "task"),
            ("task.oo.yaml", "task"),
            ("task.oo.yml", "task"),
        ],
    )
    def test_each_file_kind_by_folder_and_by_file(self, tree, name, kind):
        text = "nodes: []\n" if "flow" in name else block_yaml()
        root = tree({f"x/{name}": text, "x/main.py": MAIN_PY})
        for target in (root / "x", root / "x" / name):
            loaded = load(target)
            assert loaded.kind == kind
            assert loaded.path == root / "x" / name

    def test_missing_path_and_empty_folder(self, tmp_path: Path):
        with pytest.raises(ManifestError, match="no such file or folder"):
            load(tmp_path / "nope")
        (tmp_path / "flows/a").mkdir(parents=True)
        (tmp_path / "flows/a/flow.oo.yaml").write_text("nodes: []\n")
        with pytest.raises(ManifestError) as info:
            load(tmp_path)
        [problem] = info.value.problems
        assert "no flow or block manifest" in problem.message
        assert "flows/a" in problem.hint

    def test_package_manifest_is_not_loadable(self, tree):
        root = tree({"p/package.oo.yaml": "name: p\n"})
        with pytest.raises(ManifestError, match="package manifest"):
            load(root / "p/package.oo.yaml")

    def test_unusually_named_manifest_is_sniffed(self, tree):
        root = tree({"x/my.oo.yaml": "nodes: []\n"})
        assert isinstance(load(root / "x/my.oo.yaml"), Flow)

    def test_manifest_error_lists_every_problem(self, tree):
        root = tree(
            {
                "f/flow.oo.yaml": """
                    nodes:
                      - node_id: a
                        task: self::nope
                      - node_id: b
                        task: ./missing
                    """
            }
        )
        with pytest.raises(ManifestError) as info:
            load(root / "f")
        assert [p.location.line for p in info.value.problems] == [3, 5]
        assert "f/flow.oo.yaml:3: error: node 'a': cannot find task block 'self::nope'" in str(
            info.value
        )

    def test_loader_cache_notices_changed_blocks(self, tree):
        root = tree(
            {
                "pkg/flows/f/flow.oo.yaml": "nodes: [{node_id: n, task: self::b}]\n",
                "pkg/blocks/b/block.oo.yaml": block_yaml(("a",)),
                "pkg/blocks/b/main.py": MAIN_PY,
            }
        )
        loader = Loader()
        first = loader.load(root / "pkg/flows/f").nodes[0].block
        assert loader.load(root / "pkg/flows/f").nodes[0].block is first  # cached
        (root / "pkg/blocks/b/block.oo.yaml").write_text(block_yaml(("a", "bb", "ccc")))
        second = loader.load(root / "pkg/flows/f").nodes[0].block
        assert list(second.inputs_def) == ["a", "bb", "ccc"]
