"""Hints for a missing module name the install that fixes it (and only that)."""

from __future__ import annotations

import json

from oocana_local.install_hints import missing_module_hint


def hint(module: str, root) -> str:
    found = missing_module_hint(f"ModuleNotFoundError: No module named '{module}'", str(root))
    assert found is not None
    return found


def test_a_module_of_an_extra_names_the_extra(tmp_path):
    # The repository's own example package declares oocana-local's dependencies, not
    # pandas: bootstrap would succeed and the rerun fail the same way.
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["rich"]\n')
    text = hint("pandas", tmp_path)
    assert 'pip install "oocana-local[preview]"' in text and "pip install pandas" in text
    assert "bootstrap" not in text
    assert 'oocana-local[preview]' in hint("PIL.Image", tmp_path)
    assert "pip install pillow" in hint("PIL.Image", tmp_path)


def test_a_module_whose_distribution_has_another_name(tmp_path):
    assert "`pip install scikit-learn`" in hint("sklearn.linear_model", tmp_path)
    (tmp_path / "requirements.txt").write_text("scikit_learn==1.5  # models\n")
    assert "oocana-local bootstrap" in hint("sklearn", tmp_path)


def test_a_package_with_its_own_bootstrap_script_is_trusted_with_it(tmp_path):
    (tmp_path / "package.oo.yaml").write_text(
        "name: p\nscripts:\n  bootstrap: pip install -r deps.txt\n")
    assert f"run `oocana-local bootstrap {tmp_path}`" in hint("anything", tmp_path)


def test_npm_packages_declared_or_not(tmp_path):
    error = "Error: Cannot find package 'dayjs' imported from /x/main.mjs"
    text = missing_module_hint(error, str(tmp_path))
    assert text is not None and f"`npm install dayjs` in {tmp_path}" in text
    (tmp_path / "package.json").write_text(json.dumps({"dependencies": {"dayjs": "^1"}}))
    text = missing_module_hint(error, str(tmp_path))
    assert text is not None and f"run `oocana-local bootstrap {tmp_path}`" in text
    scoped = missing_module_hint("Cannot find module '@scope/pkg/sub'", str(tmp_path))
    assert scoped is not None and "'@scope/pkg'" in scoped and "npm install @scope/pkg" in scoped


def test_other_errors_get_no_hint(tmp_path):
    assert missing_module_hint("ValueError: bad input", str(tmp_path)) is None
