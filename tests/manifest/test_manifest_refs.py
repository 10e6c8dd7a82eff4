"""Block references: every form of engine reference §1.7, versions, pins, and misses."""

from __future__ import annotations

from pathlib import Path

import pytest
from manifest_helpers import MAIN_PY, block_yaml

from oocana_local.errors import ManifestError
from oocana_local.manifest import Flow, Loader, TaskBlock, load


def marker_block(name: str) -> str:
    """A block whose single output is named after where it lives, to tell copies apart."""
    return block_yaml((), (name,))


@pytest.fixture
def workspace(tree) -> Path:
    return tree(
        {
            # the flow's own package, pinning `pinned` to 1.0.0
            "ws/package.oo.yaml": "name: ws\ndependencies:\n  pinned: 1.0.0\n",
            "ws/blocks/add/block.oo.yaml": marker_block("self_add"),
            "ws/blocks/add/main.py": MAIN_PY,
            "ws/tasks/legacy/task.oo.yaml": "executor: {name: python}\noutputs_def: [{handle: legacy}]\n",
            "ws/tasks/legacy/index.py": MAIN_PY,
            "ws/blocks/yml/block.oo.yml": marker_block("yml"),
            "ws/blocks/yml/main.py": MAIN_PY,
            "ws/subflows/double/subflow.oo.yaml": "nodes: []\noutputs_def: [{handle: double}]\n",
            "ws/flows/f/flow.oo.yaml": "nodes: []\n",
            "ws/flows/f/local_blk/block.oo.yaml": marker_block("local"),
            "ws/flows/f/local_blk/main.py": MAIN_PY,
            # a package found relative to the flow folder (pkg:: fallback)
            "ws/flows/f/nearpkg/blocks/b/block.oo.yaml": marker_block("near"),
            "ws/flows/f/nearpkg/blocks/b/main.py": MAIN_PY,
            # search path packages
            "search/mathpkg/package.oo.yaml": "name: mathpkg\n",
            "search/mathpkg/blocks/mul/block.oo.yaml": marker_block("mul"),
            "search/mathpkg/blocks/mul/main.py": MAIN_PY,
            "search/mathpkg/subflows/sq/subflow.oo.yaml": "nodes: []\noutputs_def: [{handle: sq}]\n",
            "search/verpkg-1.0.0/blocks/which/block.oo.yaml": marker_block("v1"),
            "search/verpkg-1.0.0/blocks/which/main.py": MAIN_PY,
            "search/verpkg-1.10.0/package.oo.yaml": "name: verpkg\nversion: 1.10.0\n",
            "search/verpkg-1.10.0/blocks/which/block.oo.yaml": marker_block("v1_10"),
            "search/verpkg-1.10.0/blocks/which/main.py": MAIN_PY,
            "search/verpkg-1.9.0/blocks/which/block.oo.yaml": marker_block("v1_9"),
            "search/verpkg-1.9.0/blocks/which/main.py": MAIN_PY,
            "search/pinned-1.0.0/blocks/which/block.oo.yaml": marker_block("pinned1"),
            "search/pinned-1.0.0/blocks/which/main.py": MAIN_PY,
            "search/pinned-2.0.0/blocks/which/block.oo.yaml": marker_block("pinned2"),
            "search/pinned-2.0.0/blocks/which/main.py": MAIN_PY,
            # a checkout whose folder name differs from its package name
            "search/checkout/package.oo.yaml": "name: renamed\nversion: 3.0.0\n",
            "search/checkout/blocks/x/block.oo.yaml": marker_block("renamed"),
            "search/checkout/blocks/x/main.py": MAIN_PY,
        }
    )


def resolved_output(workspace: Path, ref: str) -> str:
    loader = Loader(search_paths=[workspace / "search"])
    block = loader.resolve_block(ref, workspace / "ws/flows/f/flow.oo.yaml")
    return next(iter(block.outputs_def))


@pytest.mark.parametrize(
    ("ref", "output"),
    [
        ("self::add", "self_add"),
        ("self::legacy", "legacy"),  # tasks/<name>/task.oo.yaml after blocks/
        ("self::yml", "yml"),  # .oo.yml after .oo.yaml
        ("self::double", "double"),  # run_block falls back to subflows
        ("mathpkg::mul", "mul"),
        ("mathpkg::mul::ignored", "mul"),
        ("mathpkg::sq", "sq"),
        ("verpkg::which", "v1_10"),  # highest version, compared numerically
        ("pinned::which", "pinned1"),  # dependencies pin beats the highest version
        ("renamed::x", "renamed"),  # package name read from package.oo.yaml
        ("nearpkg::b", "near"),  # pkg:: falls back to the flow folder
        ("./local_blk", "local"),
        ("./local_blk/block.oo.yaml", "local"),
        ("local_blk", "local"),  # direct: search paths, then the flow folder
        ("../../blocks/add", "self_add"),
        ("mathpkg/blocks/mul", "mul"),  # direct, found in a search path
        ("mathpkg/blocks/mul/block.oo.yaml", "mul"),
    ],
)
def test_reference_forms(workspace: Path, ref: str, output: str):
    assert resolved_output(workspace, ref) == output


def test_absolute_references(workspace: Path):
    absolute = str(workspace / "ws/blocks/add")
    assert resolved_output(workspace, absolute) == "self_add"
    assert resolved_output(workspace, absolute + "/block.oo.yaml") == "self_add"


def test_references_in_a_flow_file(workspace: Path):
    (workspace / "ws/flows/f/flow.oo.yaml").write_text(
        "nodes:\n"
        "  - {node_id: a, task: self::add}\n"
        "  - {node_id: b, task: verpkg::which}\n"
        "  - {node_id: c, task: local_blk}\n"
        "  - {node_id: d, subflow: self::double}\n"
        "  - {node_id: e, subflow: mathpkg::sq}\n"
    )
    flow = load(workspace / "ws/flows/f", search_paths=[workspace / "search"])
    a, b, c, d, e = flow.nodes
    assert a.block.path == workspace / "ws/blocks/add/block.oo.yaml"
    assert b.block.path == workspace / "search/verpkg-1.10.0/blocks/which/block.oo.yaml"
    assert c.block.path == workspace / "ws/flows/f/local_blk/block.oo.yaml"
    assert d.flow.path == workspace / "ws/subflows/double/subflow.oo.yaml"
    assert e.flow.path == workspace / "search/mathpkg/subflows/sq/subflow.oo.yaml"
    assert b.block.package.name == "verpkg" and b.block.package.version == "1.10.0"


def test_self_in_a_subflow_means_its_package(workspace: Path):
    (workspace / "ws/subflows/double/subflow.oo.yaml").write_text(
        "nodes: [{node_id: a, task: self::add}]\n"
    )
    loader = Loader()
    sub = loader.resolve_subflow("self::double", workspace / "ws/flows/f")
    assert sub.nodes[0].block.path == workspace / "ws/blocks/add/block.oo.yaml"


def test_resolve_from_a_flow_object_and_kind_specific_methods(workspace: Path):
    loader = Loader(search_paths=[workspace / "search"])
    flow = loader.load(workspace / "ws/flows/f")
    assert isinstance(loader.resolve_task("self::add", flow), TaskBlock)
    assert isinstance(loader.resolve_subflow("self::double", flow), Flow)
    with pytest.raises(ManifestError, match="cannot find task block 'self::double'"):
        loader.resolve_task("self::double", flow)


def test_unknown_reference_lists_searched_paths_and_close_matches(workspace: Path):
    loader = Loader(search_paths=[workspace / "search"])
    with pytest.raises(ManifestError) as info:
        loader.resolve_block("self::ad", workspace / "ws/flows/f")
    [problem] = info.value.problems
    assert problem.message == "cannot find task block or subflow 'self::ad'"
    assert "did you mean 'self::add'?" in problem.hint
    for searched in (
        "ws/blocks/ad/block.oo.yaml",
        "ws/blocks/ad/block.oo.yml",
        "ws/tasks/ad/task.oo.yaml",
        "ws/tasks/ad/task.oo.yml",
        "ws/subflows/ad/subflow.oo.yaml",
    ):
        assert str(workspace / searched) in problem.hint


def test_unknown_package_suggests_packages(workspace: Path):
    loader = Loader(search_paths=[workspace / "search"])
    with pytest.raises(ManifestError) as info:
        loader.resolve_task("mathpgk::mul", workspace / "ws/flows/f")
    hint = info.value.problems[0].hint
    assert "'mathpkg::mul'" in hint
    assert str(workspace / "search/mathpgk/blocks/mul/block.oo.yaml") in hint
    assert str(workspace / "ws/flows/f/mathpgk/blocks/mul/block.oo.yaml") in hint


def test_pin_to_a_missing_version_is_not_found(workspace: Path):
    (workspace / "ws/package.oo.yaml").write_text("name: ws\ndependencies: {verpkg: 5.0.0}\n")
    loader = Loader(search_paths=[workspace / "search"])
    with pytest.raises(ManifestError) as info:
        loader.resolve_task("verpkg::which", workspace / "ws/flows/f")
    assert (
        str(workspace / "search/verpkg-5.0.0/blocks/which/block.oo.yaml")
        in info.value.problems[0].hint
    )


def test_task_ref_to_a_subflow_says_so(workspace: Path):
    (workspace / "ws/flows/f/flow.oo.yaml").write_text(
        "nodes: [{node_id: a, task: self::double}]\n"
    )
    with pytest.raises(ManifestError) as info:
        load(workspace / "ws/flows/f")
    [problem] = info.value.problems
    assert problem.location.line == 1
    assert "write `subflow: self::double`" in problem.hint


def test_relative_reference_miss_suggests_siblings(workspace: Path):
    (workspace / "ws/flows/f/flow.oo.yaml").write_text("nodes: [{node_id: a, task: ./local_blc}]\n")
    with pytest.raises(ManifestError) as info:
        load(workspace / "ws/flows/f")
    assert "did you mean './local_blk'?" in info.value.problems[0].hint


def test_a_subflow_may_run_block_itself(workspace: Path):
    """Resolving a subflow from inside itself is run-time recursion, not a cycle."""
    loader = Loader()
    sub = loader.resolve_subflow("self::double", workspace / "ws/flows/f")
    assert loader.resolve_block("self::double", sub).path == sub.path
