"""The release workflow is ready: it builds, tests the supported Pythons on Linux and
macOS, and publishes through trusted publishing on a tag only (it is not run here)."""

from __future__ import annotations

import re

import yaml
from helpers import REPO

WORKFLOW = REPO / ".github" / "workflows" / "release.yml"


def _workflow() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text())
    # YAML 1.1 reads the key `on` as True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def test_it_runs_on_version_tags():
    assert _workflow()["on"]["push"]["tags"] == ["v*"]


def test_the_matrix_covers_the_pythons_the_package_claims():
    classifiers = re.findall(r'"Programming Language :: Python :: (3\.\d+)"',
                             (REPO / "pyproject.toml").read_text())
    matrix = _workflow()["jobs"]["test"]["strategy"]["matrix"]
    assert matrix["python"] == classifiers == ["3.10", "3.11", "3.12", "3.13"]
    assert set(matrix["os"]) == {"ubuntu-latest", "macos-latest"}


def test_publishing_is_trusted_and_only_after_the_tests_on_a_tag():
    jobs = _workflow()["jobs"]
    publish = jobs["publish"]
    assert set(publish["needs"]) == {"build", "test"}
    assert publish["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert publish["permissions"] == {"id-token": "write"}
    uses = [step.get("uses", "") for step in publish["steps"]]
    assert any(u.startswith("pypa/gh-action-pypi-publish@") for u in uses)
    assert "password" not in WORKFLOW.read_text()  # no stored token
    build = " ".join(step.get("run", "") for step in jobs["build"]["steps"])
    assert "python -m build" in build and "twine check --strict" in build
