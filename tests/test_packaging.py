"""The distribution, as a new user gets it: build the wheel from a copy of the sources,
install it in a fresh virtual environment outside the checkout, and follow the README's
"Your first block" with it.

The environment has no access to this checkout or to the suite's own packages
(no ``--system-site-packages``): the wheel comes from a local folder and its
dependencies from the package index, as for anyone installing it. That is what proves
``pytest`` comes with the package and that nothing is missing from the wheel.
Slow (a build and a few installs): marked ``packaging``; ``-m "not packaging"`` leaves it
out.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from helpers import REPO

pytestmark = pytest.mark.packaging

INSTALL_TIMEOUT = 1800
RUN_TIMEOUT = 300
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in", "oocana_local")


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None,
         timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def _ok(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == 0, f"{proc.args}\n{proc.stdout}\n{proc.stderr}"
    return proc


@dataclass
class Dist:
    wheel: Path
    sdist: Path


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Dist:
    """``python -m build`` of a copy of the sources (the build writes beside them)."""
    root = tmp_path_factory.mktemp("build")
    source = root / "src"
    source.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(REPO / name, source / name)
    out = root / "dist"
    _ok(_run([sys.executable, "-m", "build", "--outdir", str(out), str(source)], cwd=root,
             timeout=INSTALL_TIMEOUT))
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return Dist(wheel=wheel, sdist=sdist)


@dataclass
class Venv:
    folder: Path
    package: Path
    """The user's package folder, outside the checkout; the venv is its ``.venv``."""
    env: dict[str, str]

    def run(self, *cmd: str, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess[str]:
        return _run(list(cmd), cwd=self.package, env=self.env, timeout=timeout)

    def pip(self, *args: str) -> subprocess.CompletedProcess[str]:
        return _ok(self.run("python", "-m", "pip", "install", "--quiet", *args,
                            timeout=INSTALL_TIMEOUT))


@pytest.fixture(scope="module")
def venv(tmp_path_factory, dist) -> Venv:
    """README: ``cd my-package && python -m venv .venv && pip install <the wheel>``."""
    package = tmp_path_factory.mktemp("user") / "my-package"
    package.mkdir()
    folder = package / ".venv"
    _ok(_run([sys.executable, "-m", "venv", str(folder)], cwd=package, timeout=INSTALL_TIMEOUT))
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}
    env["VIRTUAL_ENV"] = str(folder)
    env["PATH"] = os.pathsep.join([str(folder / "bin"), env.get("PATH", "")])
    env["NO_COLOR"] = "1"
    made = Venv(folder=folder, package=package, env=env)
    made.pip(str(dist.wheel))
    return made


def test_the_distribution_passes_twine_check(dist):
    proc = _ok(_run([sys.executable, "-m", "twine", "check", "--strict", str(dist.wheel),
                     str(dist.sdist)], cwd=dist.wheel.parent))
    assert proc.stdout.count("PASSED") == 2


def test_the_wheel_holds_every_file_the_engine_reads_at_run_time(dist):
    names = set(zipfile.ZipFile(dist.wheel).namelist())
    for path in sorted((REPO / "oocana_local").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            assert str(path.relative_to(REPO)) in names, path
    assert "oocana_local/_shim/oocana/__init__.py" in names
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    metadata = zipfile.ZipFile(dist.wheel).read(
        next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "Requires-Dist: pytest" in metadata  # the test kit's runner comes with it
    assert "License-Expression: Apache-2.0" in metadata


def test_the_installed_package_is_the_wheel_not_this_checkout(venv):
    proc = _ok(venv.run("python", "-c", "import oocana_local; print(oocana_local.__file__)"))
    assert Path(proc.stdout.strip()).is_relative_to(venv.folder)
    assert _ok(venv.run("oocana-local", "--version")).stdout.startswith("oocana-local ")


def test_the_first_block_steps_of_the_readme(venv):
    made = _ok(venv.run("oocana-local", "new", "block", "greet"))
    assert "created blocks/greet/main.py" in made.stdout
    ran = _ok(venv.run("oocana-local", "run", "blocks/greet", "--inputs", '{"who": "Ada"}',
                       "--json"))
    assert json.loads(ran.stdout)["outputs"] == {"greeting": "Hello, Ada!"}
    tested = venv.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "2 passed" in tested.stdout
    checked = _ok(venv.run("oocana-local", "check", "."))
    assert "all manifests are valid" in checked.stdout


def test_a_typescript_block(venv):
    if shutil.which("node", path=venv.env["PATH"]) is None:
        pytest.fail("no `node` on PATH: Node.js blocks need Node.js 20+ (or the [nodejs] "
                    "extra)")
    _ok(venv.run("oocana-local", "new", "block", "shout", "--lang", "ts"))
    ran = _ok(venv.run("oocana-local", "run", "blocks/shout", "--json"))
    summary = json.loads(ran.stdout)
    assert summary["status"] == "completed" and summary["outputs"], summary


def test_the_missing_pandas_hint_names_the_extra_and_the_extra_fixes_it(venv):
    block = venv.package / "blocks" / "table"
    block.mkdir(parents=True)
    (block / "block.oo.yaml").write_text(
        "executor: {name: python, options: {entry: main.py}}\noutputs_def: [{handle: rows}]\n")
    (block / "main.py").write_text(
        "import pandas as pd\n\ndef main(params):\n"
        "    return {'rows': len(pd.DataFrame({'x': [1, 2, 3]}))}\n")
    failed = venv.run("oocana-local", "run", "blocks/table", "--json")
    assert failed.returncode == 1
    error = json.loads(failed.stdout)["error"]
    assert 'pip install "oocana-local[preview]"' in error
    # Followed as printed: the extra of the installed wheel (not on any index yet).
    venv.pip("oocana-local[preview]")
    fixed = _ok(venv.run("oocana-local", "run", "blocks/table", "--json"))
    assert json.loads(fixed.stdout)["outputs"] == {"rows": 3}


def test_serve_with_its_extra_runs_a_flow_over_http(venv):
    venv.pip("oocana-local[serve]")
    _ok(venv.run("oocana-local", "new", "flow", "words"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        ["oocana-local", "serve", ".", "--port", str(port), "--token", "pkg-token",
         "--db", str(venv.package.parent / "serve.db")],
        cwd=venv.package, env=venv.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()  # printed once the port is bound and the app made
        assert banner.startswith("oocana-local serve: 1 flow(s)"), banner
        answer = None
        deadline = time.monotonic() + 120
        while answer is None:
            try:
                answer = httpx.post(f"http://127.0.0.1:{port}/api/v2/workflows/words/execute",
                                    headers={"X-API-Key": "pkg-token"},
                                    json={"input": {"text": "one two three"}}, timeout=120)
            except httpx.TransportError:  # bound, not yet accepting
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        assert answer.status_code == 200, answer.text
        assert answer.json()["data"]["output"] == {"count": 3}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
