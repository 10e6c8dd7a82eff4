"""``serve`` prints the web view's address with the token it made, as Jupyter does."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import httpx
from browser import PACKAGE, REPO, free_port


def test_serve_prints_a_url_that_logs_in(tmp_path):
    port = free_port()
    env = {**os.environ, "OOCANA_LOCAL_HOME": str(tmp_path)}
    env.pop("OOCANA_LOCAL_TOKEN", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "oocana_local", "serve", str(PACKAGE), "--port", str(port),
         "--db", str(tmp_path / "serve.db")],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = None
        assert proc.stdout is not None
        for line in proc.stdout:
            found = re.search(r"web view\s+(http://\S+/\?token=\S+)", line)
            if found:
                url = found.group(1)
                break
        assert url is not None
        deadline = time.monotonic() + 60
        while True:
            try:
                with httpx.Client() as client:
                    answer = client.get(url, follow_redirects=True)
                    assert answer.status_code == 200 and "showcase" in answer.text
                    assert str(answer.url) == f"http://127.0.0.1:{port}/"
                    assert client.get(f"http://127.0.0.1:{port}/flows/gated").status_code \
                        == 200
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        assert httpx.get(f"http://127.0.0.1:{port}/flows/gated").status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=30)
