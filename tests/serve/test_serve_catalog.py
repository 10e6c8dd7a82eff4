"""What a server serves: names of flows and blocks under its paths, nothing else."""

from __future__ import annotations

import shutil
from pathlib import Path

from oocana_local.serve.catalog import Catalog

PKG = Path(__file__).parent / "pkg"


def test_blocks_are_package_qualified_and_flows_go_by_folder(tmp_path):
    catalog = Catalog([PKG])
    assert catalog.get("serve-fixtures::echo").kind == "block"
    assert catalog.get("echo_flow").kind == "flow"
    assert catalog.get("serve-fixtures::echo::applet").name == "serve-fixtures::echo"
    for name in ("echo", "serve-fixtures::echo_flow", str(PKG / "blocks" / "echo"),
                 "../pkg/blocks/echo", "serve-fixtures::../blocks/echo"):
        assert catalog.get(name) is None, name


def test_a_second_flow_of_the_same_name_is_reported_not_served(tmp_path):
    other = tmp_path / "other"
    shutil.copytree(PKG / "flows" / "echo_flow", other / "flows" / "echo_flow")
    catalog = Catalog([PKG, other])
    ((name, manifest, served),) = catalog.duplicates
    assert name == "echo_flow" and served.is_relative_to(PKG)
    assert manifest.is_relative_to(other)


def test_a_block_added_later_is_found(tmp_path):
    root = tmp_path / "pkg"
    shutil.copytree(PKG, root)
    catalog = Catalog([root], rescan_after=0)
    assert catalog.get("serve-fixtures::echo2") is None
    shutil.copytree(root / "blocks" / "echo", root / "blocks" / "echo2")
    assert catalog.get("serve-fixtures::echo2") is not None
