"""What ``serve`` refuses before it prints its banner: one line on stderr, exit 2, no
token shown; and which folders it reads."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from server import PACKAGE, REPO, Server, wait_until

from oocana_local.serve.catalog import Catalog


def serve(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OOCANA_LOCAL_HOME": str(home)}
    env.pop("OOCANA_LOCAL_TOKEN", None)
    return subprocess.run([sys.executable, "-m", "oocana_local", "serve", *args], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=120)


def assert_refused(proc: subprocess.CompletedProcess[str], *words: str) -> str:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == ""  # no banner, no URL, no token
    (line,) = proc.stderr.splitlines()
    assert line.startswith("oocana-local: ")
    assert "Traceback" not in proc.stderr and "token" not in line.lower()
    for word in words:
        assert word in line
    return line


def test_a_port_in_use_is_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        proc = serve(tmp_path, str(PACKAGE), "--port", str(port))
    assert_refused(proc, f"port {port}", "already in use", "--port")


def test_a_db_in_a_missing_folder_that_cannot_be_made_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    proc = serve(tmp_path, str(PACKAGE), "--port", "0", "--db", str(blocker / "serve.db"))
    assert_refused(proc, f"the folder of --db {blocker} is not used: {blocker} is not a folder")


def test_a_db_that_is_not_a_database_is_one_line(tmp_path):
    db = tmp_path / "notes.db"
    db.write_text("these are notes, not SQLite\n" * 100)
    proc = serve(tmp_path, str(PACKAGE), "--port", "0", "--db", str(db))
    assert_refused(proc, "cannot open the run store", "not a database")
    assert db.read_text().startswith("these are notes")  # left as it was


@pytest.mark.parametrize("content", [b"name: [unclosed\n", b"name: caf\xe9\n"],
                         ids=["bad-yaml", "not-utf8"])
def test_an_unreadable_package_is_one_line(tmp_path, content):
    package = tmp_path / "pkg"
    shutil.copytree(PACKAGE, package)
    (package / "package.oo.yaml").write_bytes(content)
    proc = serve(tmp_path, str(package), "--port", "0")
    assert_refused(proc, str(package / "package.oo.yaml"), "oocana-local check")


def test_a_port_out_of_range_is_a_usage_error(tmp_path):
    proc = serve(tmp_path, str(PACKAGE), "--port", "99999")
    assert proc.returncode == 2 and proc.stdout == ""
    assert "--port must be 0 to 65535, got 99999" in proc.stderr


def _package_with_tests(root: Path) -> Path:
    shutil.copytree(PACKAGE, root)
    for hidden in ("tests", ".hidden", "node_modules"):
        shutil.copytree(PACKAGE / "flows" / "echo_flow", root / hidden / f"{hidden[-4:]}_flow")
    return root


def test_tests_hidden_and_vendor_folders_are_skipped_unless_asked(tmp_path):
    root = _package_with_tests(tmp_path / "pkg")
    names = {e.name for e in Catalog([root]).flows()}
    assert "echo_flow" in names
    assert not {"ests_flow", "dden_flow", "ules_flow"} & names
    with_tests = {e.name for e in Catalog([root], include_tests=True).flows()}
    assert with_tests - names == {"ests_flow"}  # hidden and node_modules stay skipped
    # A path given on purpose is read even when it is a tests folder.
    assert {e.name for e in Catalog([root / "tests"]).flows()} == {"ests_flow"}


def test_serve_of_the_repository_leaves_out_its_test_fixtures(tmp_path):
    with ServerOf(tmp_path, REPO) as plain:
        banner = plain.banner
    with ServerOf(tmp_path, REPO, "--include-tests") as everything:
        banner_all = everything.banner
    flows = int(banner.split(": ")[1].split(" flow")[0])
    flows_all = int(banner_all.split(": ")[1].split(" flow")[0])
    examples = len(list((REPO / "flows").glob("*/flow.oo.yaml")))
    assert flows == examples
    assert flows_all > flows


class ServerOf(Server):
    """A server of ``path`` whose first banner line is kept."""

    def __init__(self, home: Path, path: Path, *extra: str):
        super().__init__(home, extra=extra)
        self.package = path
        self.banner = ""

    def start(self) -> ServerOf:
        super().start()
        assert self.proc is not None and self.proc.stdout is not None
        self.banner = self.proc.stdout.readline()
        return self


def test_port_0_serves_on_a_free_port_and_prints_it(tmp_path):
    env = {**os.environ, "OOCANA_LOCAL_HOME": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "oocana_local", "serve", str(PACKAGE),
                             "--port", "0", "--token", "t0k"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
        found = re.search(r"base_url=http://127\.0\.0\.1:(\d+)/api", lines[1])
        assert found, lines
        port = int(found.group(1))
        assert port != 0
        # The port is bound before the banner; the app answers once uvicorn started.
        answer = wait_until(lambda: _get(f"http://127.0.0.1:{port}/openapi.json"),
                            "the server to answer")
        assert answer.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def _get(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url, timeout=5)
    except httpx.TransportError:
        return None
