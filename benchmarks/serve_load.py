"""``oocana-local serve`` overhead and load, on loopback.

    python benchmarks/serve_load.py [--repeat 30] [--tasks 1000] [--clients 50]

1. Overhead of one trivial block (returns its input + 1), median over ``--repeat`` runs:
   inside one warm ``Engine`` (no HTTP), through the Connect API (create, then poll the
   task every 2 ms until completed) and through one Sim sync call.
2. Load: ``--tasks`` Connect tasks created by ``--clients`` concurrent clients, each
   polling its task to the end (every ``--poll-ms``, default 100 ms). Checks that every task completed with the
   right answer and that the store lists them all; reports the server's RSS before and
   after, HTTP requests per second and tasks per second.

The server runs as a subprocess (``python -m oocana_local serve``) on a free loopback
port with a temporary run store; nothing leaves the machine. Prints markdown tables.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import oocana_local  # noqa: E402

TOKEN = "bench-token"
BLOCK = """\
executor: {name: python, options: {entry: main.py}}
inputs_def: [{handle: x, json_schema: {type: integer}}]
outputs_def: [{handle: x, json_schema: {type: integer}}]
"""
FLOW = """\
inputs_def: [{handle: x, json_schema: {type: integer}, value: 0}]
outputs_def: [{handle: x}]
nodes:
  - node_id: inc
    task: self::inc
    inputs_from: [{handle: x, from_flow: [{input_handle: x}]}]
outputs_from: [{handle: x, from_node: [{node_id: inc, output_handle: x}]}]
"""


def write_package(root: Path) -> Path:
    pkg = root / "bench"
    (pkg / "blocks" / "inc").mkdir(parents=True)
    (pkg / "flows" / "inc_flow").mkdir(parents=True)
    (pkg / "package.oo.yaml").write_text("name: bench\nversion: 0.1.0\n")
    (pkg / "blocks" / "inc" / "block.oo.yaml").write_text(BLOCK)
    (pkg / "blocks" / "inc" / "main.py").write_text(
        "def main(params, context):\n    return {'x': params['x'] + 1}\n")
    (pkg / "flows" / "inc_flow" / "flow.oo.yaml").write_text(FLOW)
    return pkg


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(pkg: Path, home: Path, max_concurrent: int | None
                 ) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "oocana_local", "serve", str(pkg), "--port", str(port),
         "--token", TOKEN, "--db", str(home / "serve.db"),
         *(["--max-concurrent", str(max_concurrent)] if max_concurrent else [])],
        cwd=ROOT, env={**os.environ, "OOCANA_LOCAL_HOME": str(home)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/openapi.json", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start within 60 s")


def overhead(pkg: Path, url: str, repeat: int) -> dict[str, list[float]]:
    """The three paths in turn, ``repeat`` times, so machine noise hits them alike."""
    times: dict[str, list[float]] = {"engine": [], "connect": [], "sim": []}
    with oocana_local.Engine() as engine, \
            httpx.Client(base_url=url, timeout=60,
                         headers={"Authorization": TOKEN, "X-API-Key": TOKEN}) as client:
        block = engine.load(pkg / "blocks" / "inc")

        def in_engine(i: int) -> None:
            result = engine.run(block, inputs={"x": i})
            assert result.outputs == {"x": i + 1}, result.error

        def connect(i: int) -> None:
            task = client.post("/api/v1/tasks", json={"blockId": "bench::inc",
                                                      "inputValues": {"x": i}}).json()["task"]
            while task["status"] not in ("completed", "failed", "stopped"):
                time.sleep(0.002)
                task = client.get(f"/api/v1/tasks/{task['id']}").json()["task"]
            assert task["result"] == {"x": i + 1}, task

        def sim(i: int) -> None:
            answer = client.post("/api/v2/workflows/inc_flow/execute",
                                 json={"input": {"x": i}}).json()["data"]
            assert answer["output"] == {"x": i + 1}, answer

        paths = {"engine": in_engine, "connect": connect, "sim": sim}
        for i in range(repeat + 1):
            for name, call in paths.items():
                start = time.perf_counter()
                call(i)
                if i:  # the first round warms workers and routes
                    times[name].append((time.perf_counter() - start) * 1000)
    return times


class Connection:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams, one per simulated client,
    so that the load measures the server rather than a client library."""

    def __init__(self, url: str):
        host, port = url.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: dict | None = None) -> dict:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        payload = json.dumps(body).encode() if body is not None else b""
        self.writer.write(
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: {TOKEN}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
            .encode() + payload)
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        return json.loads(await self.reader.readexactly(length))

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


async def load(url: str, tasks: int, clients: int, poll: float) -> dict[str, float]:
    requests = 0
    done: dict[str, int] = {}
    numbers = iter(range(tasks))

    async def client_loop() -> None:
        nonlocal requests
        connection = Connection(url)
        try:
            for i in numbers:
                task = (await connection.request("POST", "/api/v1/tasks", {
                    "blockId": "bench::inc", "inputValues": {"x": i}}))["task"]
                requests += 1
                while task["status"] not in ("completed", "failed", "stopped"):
                    await asyncio.sleep(poll)
                    task = (await connection.request("GET", f"/api/v1/tasks/{task['id']}")
                            )["task"]
                    requests += 1
                if task["status"] == "completed" and task["result"] == {"x": i + 1}:
                    done[task["id"]] = i
        finally:
            await connection.close()

    start, client_cpu = time.perf_counter(), time.process_time()
    await asyncio.wait_for(asyncio.gather(*(client_loop() for _ in range(clients))), 1800)
    wall = time.perf_counter() - start
    client_cpu = time.process_time() - client_cpu
    listing = Connection(url)
    listed = (await listing.request("GET", f"/api/v1/tasks?limit={tasks}"))["tasks"]
    await listing.close()
    stored = sum(1 for t in listed if t["id"] in done and t["status"] == "completed")
    return {"completed": len(done), "stored": stored, "wall": wall,
            "requests": requests, "rps": requests / wall, "tps": len(done) / wall,
            "client_cpu": client_cpu}


def row(name: str, times: list[float], base: float) -> str:
    median = statistics.median(times)
    return (f"| {name} | {median:.1f} | {min(times):.1f} | {max(times):.1f} | "
            f"{median / base:.1f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--poll-ms", type=int, default=100,
                        help="how often each load client polls its task (the SDK: 2000)")
    parser.add_argument("--max-concurrent", type=int, default=None,
                        help="the server's --max-concurrent (default: its own, the cores)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pkg = write_package(Path(tmp))
        proc, url = start_server(pkg, Path(tmp), args.max_concurrent)
        try:
            times = overhead(pkg, url, args.repeat)
            rss_before, cpu_before = rss_mb(proc.pid), cpu_seconds(proc.pid)
            result = asyncio.run(load(url, args.tasks, args.clients,
                                       args.poll_ms / 1000))
            rss_after, cpu_after = rss_mb(proc.pid), cpu_seconds(proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
    base = statistics.median(times["engine"])
    load_avg = os.getloadavg()[0]
    print(f"One trivial block, {args.repeat} runs of each path in turn, loopback, "
          f"{os.cpu_count()} cores, load average {load_avg:.1f}\n")
    print("| path | median ms | min | max | vs engine |")
    print("|---|---:|---:|---:|---:|")
    print(row("Engine.run in one warm engine", times["engine"], base))
    print(row("Connect: create, poll every 2 ms to completed", times["connect"], base))
    print(row("Sim: one sync execute call", times["sim"], base))
    print(f"\n{args.tasks} Connect tasks from {args.clients} concurrent clients "
          f"(create, poll every {args.poll_ms} ms)\n")
    print("| completed | in the store | wall s | HTTP requests | requests/s | tasks/s "
          "| server CPU ms/task | client CPU s | server RSS before MB | after MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {result['completed']} | {result['stored']} | {result['wall']:.1f} | "
          f"{result['requests']} | {result['rps']:.0f} | {result['tps']:.0f} | "
          f"{(cpu_after - cpu_before) * 1000 / args.tasks:.1f} | {result['client_cpu']:.1f} | "
          f"{rss_before:.0f} | {rss_after:.0f} |")
    if result["completed"] != args.tasks or result["stored"] != args.tasks:
        raise SystemExit("some tasks were lost")


if __name__ == "__main__":
    main()
