"""Folders in the machine's shared temporary folder belong to their user: a run never
writes into, or loads from, a folder another user made there; its own folder
(``<tmp>/oocana-local-of-<user>``) is refused, with one line and exit 2, when it is not
its user's alone (a folder others may only read is closed to them). Runs use ``TMPDIR`` set to a test folder; "another user" is uid 65534
(``nobody``), which the suite can give a folder when it runs as root; without root, the
owner check is faked in process instead."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from helpers import REPO, cli, cli_env
from test_cli import RUN_TIMEOUT

import oocana_local
from oocana_local.errors import UnsafeFolderError, UsageError
from oocana_local.testing import Runner

NOBODY = 65534
as_root = pytest.mark.skipif(os.geteuid() != 0,
                             reason="giving a folder to another user needs root; "
                                    "test_an_engine_refuses_... fakes the owner instead")


def run_in(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**cli_env(), "TMPDIR": str(tmp)}
    return subprocess.run(cli(*args), cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT)


def own_root_name() -> str:
    from oocana_local.paths import tmp_root

    return tmp_root().name


def foreign_folder(path: Path) -> Path:
    """A world-writable folder of another user, as someone else would pre-create it."""
    path.mkdir(parents=True)
    path.chmod(0o777)
    os.chown(path, NOBODY, NOBODY)
    return path


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.lstat().st_size, p.lstat().st_mtime_ns)
            for p in folder.rglob("*")}


def plotly_js() -> bytes:
    from oocana_local.context.preview_plotly import _plotly_js

    return _plotly_js()


@as_root
def test_a_run_writes_nothing_into_and_loads_nothing_from_another_users_folders(tmp_path):
    import plotly

    # Another user made the old shared folder and planted a plotly.js of the right size,
    # and pre-made the per-flow tmp folder oocana would use for flows/previews.
    planted = foreign_folder(tmp_path / "oocana-local")
    fake = foreign_folder(planted / "shared") / f"plotly-{plotly.__version__}.min.js"
    fake.write_bytes(b"/* not plotly */".ljust(len(plotly_js()), b" "))
    digest = hashlib.sha256(str((REPO / "flows" / "previews").resolve()).encode()).hexdigest()
    flow_tmp = foreign_folder(tmp_path / f"previews-{digest[:8]}")
    before = {folder: snapshot(folder) for folder in (planted, flow_tmp)}

    proc = run_in(tmp_path, "run", "flows/previews", "--inputs", '{"points": 3}')

    assert proc.returncode == 0, proc.stderr
    assert {folder: snapshot(folder) for folder in (planted, flow_tmp)} == before
    [page] = re.findall(r"preview html → (\S+\.html)", proc.stdout)[1:]  # the plotly one
    page_path = Path(page)
    assert page_path.is_relative_to(tmp_path / own_root_name())
    [source] = re.findall(r'<script[^>]*\bsrc="file://([^"]*)"', page_path.read_text())
    assert Path(source).is_relative_to(tmp_path / own_root_name())
    assert Path(source).read_bytes() == plotly_js()


@as_root
def test_an_own_folder_another_user_made_is_refused_with_one_line(tmp_path):
    root = foreign_folder(tmp_path / own_root_name())

    proc = run_in(tmp_path, "run", "flows/quickstart")

    assert proc.returncode == 2
    [line] = proc.stderr.splitlines()
    assert line.startswith(f"oocana-local: {root} belongs to another user (uid {NOBODY})")
    assert "remove" in line and "TMPDIR" in line
    assert list(root.iterdir()) == []


def test_an_own_folder_others_may_write_to_or_a_link_is_refused(tmp_path):
    root = tmp_path / own_root_name()
    root.mkdir(mode=0o700)
    root.chmod(0o777)
    proc = run_in(tmp_path, "run", "flows/quickstart")
    assert proc.returncode == 2
    [line] = proc.stderr.splitlines()
    assert "may be written by other users (mode 777)" in line and "chmod 700" in line
    assert list(root.iterdir()) == []

    root.chmod(0o755)  # only readable by others: closed to them, then used
    proc = run_in(tmp_path, "run", "flows/quickstart")
    assert proc.returncode == 0, proc.stderr
    assert root.stat().st_mode & 0o777 == 0o700 and list(root.iterdir())

    shutil.rmtree(root)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    root.symlink_to(elsewhere)
    proc = run_in(tmp_path, "run", "flows/quickstart")
    assert proc.returncode == 2
    [line] = proc.stderr.splitlines()
    assert line == (f"oocana-local: {root} is a link, so it is not used for session files: "
                    f"remove {root} (or have its owner remove it), or set TMPDIR to a folder "
                    "of your own")
    assert list(elsewhere.iterdir()) == []


def test_the_own_folder_is_made_private_and_a_wrong_plotly_js_in_it_is_replaced(tmp_path):
    root = tmp_path / own_root_name()
    proc = run_in(tmp_path, "run", "flows/previews", "--inputs", '{"points": 3}')
    assert proc.returncode == 0, proc.stderr
    assert root.stat().st_mode & 0o777 == 0o700 and root.stat().st_uid == os.getuid()
    [copy] = (root / "shared").glob("plotly-*.min.js")
    assert copy.read_bytes() == plotly_js()

    copy.write_bytes(b"x" * copy.stat().st_size)  # the same size, another content
    proc = run_in(tmp_path, "run", "flows/previews", "--inputs", '{"points": 3}')
    assert proc.returncode == 0, proc.stderr
    assert copy.read_bytes() == plotly_js()
    assert [p.name for p in (root / "shared").iterdir()] == [copy.name]  # no temporary left


def test_an_engine_and_the_test_kit_refuse_a_folder_of_another_owner(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    real = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: real + 1)  # as if another user had made it
    root = tmp_path / own_root_name()
    root.mkdir(mode=0o700)

    with pytest.raises(UnsafeFolderError, match=rf"belongs to another user \(uid {real}\)"):
        oocana_local.run(REPO / "flows" / "quickstart")
    with Runner() as runner, pytest.raises(UsageError, match="belongs to another user"):
        runner.run_block(REPO / "blocks" / "square", inputs={"numbers": [3]})
    assert [p.name for p in tmp_path.iterdir()] == [root.name]
    assert list(root.iterdir()) == []


def test_serve_and_dev_refuse_to_start_on_a_folder_others_may_write_to(tmp_path):
    root = tmp_path / own_root_name()
    root.mkdir(mode=0o700)
    root.chmod(0o777)

    for command in (["serve", "flows", "--port", "0", "--db", str(tmp_path / "s.db")],
                    ["dev", "flows/quickstart"]):
        proc = run_in(tmp_path, *command)

        assert proc.returncode == 2, command
        [line] = proc.stderr.splitlines()
        assert line.startswith(f"oocana-local: {root} may be written by other users (mode 777)")
        assert list(root.iterdir()) == []


# -- folders the user names -------------------------------------------------------------------

def run_with_session_dir(folder: Path) -> oocana_local.RunResult:
    with oocana_local.Engine() as engine:
        return engine.run(REPO / "flows" / "quickstart", session_dir=folder)


@as_root
def test_named_folders_another_user_controls_are_refused_with_one_line(tmp_path):
    planted = foreign_folder(tmp_path / "x")  # as another user pre-creates /tmp/x
    temp_root = foreign_folder(planted / "temp")
    cases = [
        ({"OOCANA_TEMP_ROOT": str(temp_root)}, ["run", "flows/quickstart"],
         f"OOCANA_TEMP_ROOT {temp_root} is not used: {temp_root} (uid {NOBODY}, mode 777) "
         "belongs to another user"),
        ({}, ["run", "flows/quickstart", "--previews", str(planted / "previews")],
         f"--previews {planted / 'previews'} is not used: {planted} (uid {NOBODY}, mode 777) "
         "belongs to another user"),
        ({}, ["serve", "flows", "--port", "0", "--db", str(planted / "db" / "s.db")],
         f"the folder of --db {planted / 'db'} is not used: {planted} (uid {NOBODY}, "
         "mode 777) belongs to another user"),
    ]
    for extra, command, message in cases:
        proc = subprocess.run(cli(*command), cwd=REPO, capture_output=True, text=True,
                              env={**cli_env(), "TMPDIR": str(tmp_path), **extra},
                              timeout=RUN_TIMEOUT)

        assert proc.returncode == 2, command
        [line] = proc.stderr.splitlines()
        assert line.startswith(f"oocana-local: {message}"), line
        assert "name a folder of your own" in line
    assert sorted(p.name for p in planted.iterdir()) == ["temp"] and not any(temp_root.iterdir())


@as_root
def test_a_session_dir_through_a_link_another_user_planted_is_refused(tmp_path):
    shared = tmp_path / "shared"  # a folder everyone may write to, like /tmp
    shared.mkdir()
    shared.chmod(0o1777)
    target = tmp_path / "target"
    target.mkdir(mode=0o700)
    link = shared / "session"
    link.symlink_to(target)
    os.lchown(link, NOBODY, NOBODY)

    with pytest.raises(UnsafeFolderError, match=rf"session folder {link} is not used: {link} "
                                                rf"is a link of uid {NOBODY}"):
        run_with_session_dir(link)
    assert list(target.iterdir()) == []

    writable = shared / "open"
    writable.mkdir()
    writable.chmod(0o777)
    with pytest.raises(UnsafeFolderError, match=r"other users may write to .*mode 777.*chmod"):
        run_with_session_dir(writable)
    assert list(writable.iterdir()) == []


def test_folders_of_your_own_are_used_and_missing_ones_are_made_private(tmp_path):
    shared = tmp_path / "shared"  # /tmp: everyone may write, the sticky bit keeps names apart
    shared.mkdir()
    shared.chmod(0o1777)
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    mine = shared / "x" / "previews"  # `/tmp/x` the user makes, with what is missing above
    env = {**cli_env(), "TMPDIR": str(tmp_path), "OOCANA_TEMP_ROOT": str(home / "tmp")}
    proc = subprocess.run(cli("run", "flows/previews", "--inputs", '{"points": 3}',
                              "--previews", str(mine)),
                          cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT)

    assert proc.returncode == 0, proc.stderr
    assert mine.stat().st_mode & 0o777 == 0o700 and any(mine.iterdir())
    assert (home / "tmp").stat().st_mode & 0o777 == 0o700
    session = home / "sessions" / "one"
    assert run_with_session_dir(session).ok
    assert session.stat().st_mode & 0o777 == 0o700
