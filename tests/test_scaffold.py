"""`oocana-local new block|flow NAME`: the files, a passing test, a runnable block/flow,
no overwriting, name checks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import cli, cli_env

from oocana_local.scaffold import ScaffoldError, new_block, new_flow, validate_name


def oocana_local(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "oocana_local", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def pytest_in(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                          cwd=folder, capture_output=True, text=True, timeout=300)


def test_new_block_outside_a_package_passes_its_tests_and_runs(tmp_path):
    made = oocana_local("new", "block", "word-count", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    folder = tmp_path / "blocks" / "word-count"
    assert sorted(p.name for p in folder.iterdir()) == [
        "block.oo.yaml", "main.py", "test_word_count.py"]
    assert "from oocana import Context" in (folder / "main.py").read_text()
    assert "def main(params: Inputs, context: Context) -> Outputs:" in (
        folder / "main.py").read_text()
    out = made.stdout
    assert "created blocks/word-count/main.py" in out
    assert "no package.oo.yaml" in out and str(tmp_path) in out
    assert "oocana-local run blocks/word-count" in out
    assert "python -m pytest blocks/word-count" in out

    tested = pytest_in(tmp_path)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "2 passed" in tested.stdout

    ran = oocana_local("run", "blocks/word-count", "--inputs", '{"who": "Ada", "times": 2}',
                       "--json", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["outputs"] == {"greeting": "Hello, Hello, Ada!"}


def test_new_flow_in_a_package_runs_and_passes(tmp_path):
    (tmp_path / "package.oo.yaml").write_text("name: mine\nversion: 0.1.0\n")
    inside = tmp_path / "flows"
    inside.mkdir()
    made = oocana_local("new", "flow", "words", cwd=inside)  # goes to the package root
    assert made.returncode == 0, made.stderr
    assert "no package.oo.yaml" not in made.stdout
    folder = tmp_path / "flows" / "words"
    assert (folder / "flow.oo.yaml").is_file() and (folder / "scriptlets" / "+python#1.py").is_file()
    assert oocana_local("check", ".", cwd=tmp_path).returncode == 0

    ran = oocana_local("run", "flows/words", "--json", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["outputs"] == {"count": 4}

    tested = pytest_in(tmp_path)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "1 passed" in tested.stdout


def test_new_refuses_to_overwrite(tmp_path):
    assert oocana_local("new", "block", "b", cwd=tmp_path).returncode == 0
    main = tmp_path / "blocks" / "b" / "main.py"
    main.write_text("# mine\n")
    again = oocana_local("new", "block", "b", cwd=tmp_path)
    assert again.returncode == 2
    assert "already exist" in again.stderr and "nothing was written" in again.stderr
    assert main.read_text() == "# mine\n"

    (tmp_path / "flows" / "f").mkdir(parents=True)
    (tmp_path / "flows" / "f" / "flow.oo.yaml").write_text("nodes: []\n")
    refused = oocana_local("new", "flow", "f", cwd=tmp_path)
    assert refused.returncode == 2
    assert not (tmp_path / "flows" / "f" / "scriptlets").exists()  # all or nothing


@pytest.mark.parametrize("name", ["", "1abc", "a b", "../x", "a/b", "é", "x" * 65, "-x"])
def test_bad_names(tmp_path, name):
    with pytest.raises(ScaffoldError, match="invalid name"):
        validate_name(name)
    made = oocana_local("new", "block", "--", name, cwd=tmp_path)
    assert made.returncode == 2 and "invalid name" in made.stderr
    assert not (tmp_path / "blocks").exists()


def test_dir_option_and_api(tmp_path):
    target = tmp_path / "pkg"
    made = oocana_local("new", "block", "b1", "--dir", str(target), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert (target / "blocks" / "b1" / "block.oo.yaml").is_file()
    scaffold = new_flow("f1", target)
    assert [p.name for p in scaffold.files] == ["flow.oo.yaml", "+python#1.py",
                                                "test_f1_flow.py"]
    assert not scaffold.in_package
    with pytest.raises(ScaffoldError, match="already exist"):
        new_block("b1", target)


def test_new_typescript_block_passes_its_test_and_runs(tmp_path):
    """This checkout's CLI and kit (cli_env), on a real Node.js worker."""
    made = subprocess.run(cli("new", "block", "greet_ts", "--lang", "ts"), cwd=tmp_path,
                          env=cli_env(), capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    folder = tmp_path / "blocks" / "greet_ts"
    assert sorted(p.name for p in folder.iterdir()) == [
        "block.oo.yaml", "main.ts", "test_greet_ts.py"]
    assert 'import type { Context } from "@oomol/types/oocana";' in (
        folder / "main.ts").read_text()
    assert "name: nodejs" in (folder / "block.oo.yaml").read_text()

    tested = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                            cwd=tmp_path, env=cli_env(), capture_output=True, text=True,
                            timeout=300)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "1 passed" in tested.stdout

    ran = subprocess.run(cli("run", "blocks/greet_ts", "--inputs", '{"who": "Ada"}', "--json"),
                         cwd=tmp_path, env=cli_env(), capture_output=True, text=True,
                         timeout=120)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["outputs"] == {"greeting": "Hello, Ada!"}


def _in_this_checkout(*cmd: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    from helpers import cli_env

    return subprocess.run([sys.executable, *cmd], cwd=cwd, env=cli_env(), capture_output=True,
                          text=True, timeout=300)


def test_one_broken_block_fails_only_its_own_tests(tmp_path):
    for name in ("good", "broken"):
        made = _in_this_checkout("-m", "oocana_local", "new", "block", name, cwd=tmp_path)
        assert made.returncode == 0, made.stderr
    main = tmp_path / "blocks" / "broken" / "main.py"
    main.write_text(main.read_text() + "\ndef broken(:\n")

    tested = _in_this_checkout("-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=tmp_path)
    out = tested.stdout
    assert "2 passed" in out, out  # the good block's tests still ran
    assert "Interrupted" not in out and "error during collection" not in out
    assert "test_main_in_process" in out and "blocks/broken/main.py" in out
    assert "SyntaxError" in out
    assert "oocana_local/testing" not in out  # the block's traceback, not the kit's


def test_a_usage_error_in_a_test_speaks_in_the_kits_terms(tmp_path):
    block = tmp_path / "blocks" / "hello"
    block.mkdir(parents=True)
    (block / "block.oo.yaml").write_text(
        "executor: {name: python, options: {entry: main.py}}\n"
        "inputs_def: [{handle: who, json_schema: {type: string}}]\n"
        "outputs_def: [{handle: greeting}]\n")
    (block / "main.py").write_text("def main(params):\n    return {'greeting': 'hi'}\n")
    test = block / "test_usage.py"
    test.write_text("from pathlib import Path\n\n\n"
                    "def test_forgot_the_inputs(run_block):\n"
                    "    run_block(Path(__file__).parent)\n")
    tested = _in_this_checkout("-m", "pytest", "-q", "-p", "no:cacheprovider", str(test),
                               cwd=tmp_path)
    out = tested.stdout
    assert "1 failed" in out, out
    assert "needs input(s) who" in out and 'inputs={"who": ...}' in out
    assert "--inputs" not in out
    assert "oocana_local/runtime" not in out and "oocana_local/engine" not in out


def test_outside_a_package_self_references_reach_the_new_block(tmp_path):
    made = oocana_local("new", "block", "greet", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "`self::<block>` all the same" in made.stdout
    assert "workspace::<block>" in made.stdout
    flow = tmp_path / "flows" / "hello"
    flow.mkdir(parents=True)
    (flow / "flow.oo.yaml").write_text(
        "nodes:\n  - node_id: g\n    task: self::greet\n    inputs_from:\n"
        "      - {handle: who, value: Ada}\n      - {handle: times, value: 1}\n"
        "outputs_from:\n  - {handle: greeting, from_node: [{node_id: g, output_handle: greeting}]}\n"
        "outputs_def:\n  - {handle: greeting}\n")
    ran = oocana_local("run", "flows/hello", "--json", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["outputs"] == {"greeting": "Hello, Ada!"}
