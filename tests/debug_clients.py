"""Small debugger clients for the tests: a DAP client (what VS Code speaks to debugpy)
and a Chrome DevTools Protocol client (what DevTools speaks to Node's inspector).

Both wait on the process under test, never on the clock alone: connecting is retried
while the run is alive, and every read has a generous guard so a broken run fails the
test instead of hanging it.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

GUARD = 120.0  # seconds: only so that a broken run cannot hang the test suite


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _connect(port: int, proc: subprocess.Popen[Any]) -> socket.socket:
    deadline = time.monotonic() + GUARD
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=GUARD)
        except OSError:
            if proc.poll() is not None:
                raise AssertionError(f"the run ended (exit {proc.returncode}) before a "
                                     f"debugger could attach on port {port}") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def cpu_ticks(pids: list[int]) -> int:
    """CPU time (utime + stime, in clock ticks) the processes spent so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total


class DapClient:
    """Debug Adapter Protocol over a socket: Content-Length framed JSON."""

    def __init__(self, port: int, proc: subprocess.Popen[Any]):
        self.sock = _connect(port, proc)
        self.file = self.sock.makefile("rb")
        self.seq = itertools.count(1)
        self.events: list[dict[str, Any]] = []
        self.responses: dict[int, dict[str, Any]] = {}

    def close(self) -> None:
        self.file.close()
        self.sock.close()

    def send(self, command: str, **arguments: Any) -> int:
        seq = next(self.seq)
        body = json.dumps({"seq": seq, "type": "request", "command": command,
                           "arguments": arguments}).encode()
        self.sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return seq

    def _read(self) -> dict[str, Any]:
        length = None
        while True:
            line = self.file.readline()
            if not line:
                raise AssertionError("the debug adapter closed the connection")
            line = line.strip()
            if not line:
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        assert length is not None, "a DAP message without Content-Length"
        return json.loads(self.file.read(length))

    def _pump(self) -> None:
        message = self._read()
        if message["type"] == "response":
            self.responses[message["request_seq"]] = message
        elif message["type"] == "event":
            self.events.append(message)

    def response(self, seq: int) -> dict[str, Any]:
        while seq not in self.responses:
            self._pump()
        reply = self.responses.pop(seq)
        assert reply["success"], reply
        return reply

    def request(self, command: str, **arguments: Any) -> dict[str, Any]:
        return self.response(self.send(command, **arguments))

    def event(self, name: str) -> dict[str, Any]:
        """The first not yet taken event called ``name`` (waiting for it)."""
        index = 0
        while True:
            while index < len(self.events):
                if self.events[index]["event"] == name:
                    return self.events.pop(index)
                index += 1
            self._pump()

    def attach(self, breakpoints: dict[str, list[int]] | None = None) -> None:
        """initialize, attach, setBreakpoints, configurationDone: the run goes on."""
        self.request("initialize", clientID="tests", adapterID="debugpy",
                     pathFormat="path", linesStartAt1=True, columnsStartAt1=True)
        attach = self.send("attach", justMyCode=True)
        self.event("initialized")
        for path, lines in (breakpoints or {}).items():
            reply = self.request("setBreakpoints", source={"path": path},
                                 breakpoints=[{"line": n} for n in lines])
            assert len(reply["body"]["breakpoints"]) == len(lines), reply
        self.request("configurationDone")
        self.response(attach)

    def resume(self, thread_id: int) -> None:
        """``continue``. Its answer is not awaited: the run may end, and its worker with
        the debugger in it, as soon as the block goes on."""
        self.send("continue", threadId=thread_id)

    def top_frame(self, thread_id: int) -> dict[str, Any]:
        frames = self.request("stackTrace", threadId=thread_id)["body"]["stackFrames"]
        return frames[0]

    def evaluate(self, expression: str, frame_id: int) -> str:
        reply = self.request("evaluate", expression=expression, frameId=frame_id,
                             context="repl")
        return reply["body"]["result"]


class CdpClient:
    """Chrome DevTools Protocol over the inspector's websocket."""

    def __init__(self, port: int, proc: subprocess.Popen[Any]):
        from websockets.sync.client import connect

        url = self._target(port, proc)
        self._stack = contextlib.ExitStack()
        self.ws = self._stack.enter_context(connect(url, open_timeout=GUARD, max_size=None))
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []
        self.results: dict[int, dict[str, Any]] = {}

    @staticmethod
    def _target(port: int, proc: subprocess.Popen[Any]) -> str:
        deadline = time.monotonic() + GUARD
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list",
                                            timeout=GUARD) as reply:
                    targets = json.load(reply)
                if targets:
                    return str(targets[0]["webSocketDebuggerUrl"])
            except OSError:
                pass
            if proc.poll() is not None:
                raise AssertionError(f"the run ended (exit {proc.returncode}) before an "
                                     f"inspector client could attach on port {port}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no inspector on port {port}")
            time.sleep(0.05)

    def close(self) -> None:
        self._stack.close()

    def _pump(self) -> None:
        message = json.loads(self.ws.recv(timeout=GUARD))
        if "id" in message:
            self.results[message["id"]] = message
        else:
            self.events.append(message)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self.ids)
        self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while call_id not in self.results:
            self._pump()
        reply = self.results.pop(call_id)
        assert "error" not in reply, reply
        return dict(reply.get("result") or {})

    def event(self, method: str) -> dict[str, Any]:
        index = 0
        while True:
            while index < len(self.events):
                if self.events[index]["method"] == method:
                    return dict(self.events.pop(index)["params"])
                index += 1
            self._pump()


_B64 = {c: i for i, c in enumerate(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def _vlq(segment: str) -> list[int]:
    values, shift, value = [], 0, 0
    for char in segment:
        digit = _B64[char]
        value += (digit & 31) << shift
        if digit & 32:
            shift += 5
            continue
        values.append(-(value >> 1) if value & 1 else value >> 1)
        shift = value = 0
    return values


def source_map_lines(source_map: dict[str, Any]) -> list[tuple[int, int, int]]:
    """``(generated line, generated column, original line)``, all 0-based, for every
    mapping of a version 3 source map (one source)."""
    rows = []
    source_line = 0
    for generated_line, group in enumerate(source_map["mappings"].split(";")):
        column = 0
        for segment in filter(None, group.split(",")):
            fields = _vlq(segment)
            column += fields[0]
            if len(fields) >= 4:
                source_line += fields[2]
                rows.append((generated_line, column, source_line))
    return rows


def inline_source_map(url: str) -> dict[str, Any]:
    import base64

    assert url.startswith("data:application/json"), url[:60]
    return dict(json.loads(base64.b64decode(url.split(",", 1)[1])))
