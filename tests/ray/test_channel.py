"""Jobs reach a Ray actor over a direct TCP channel: only the engine that opened it, with
its secret token, is served; an engine that cannot reach an actor's address fails the
job saying where it tried."""

from __future__ import annotations

import pickle
import re
import secrets
import socket
import types

from helpers import FLOWS

import oocana_local
from oocana_local.wire import connection
from oocana_local.wire.frames import encode, header


class _Touch:
    """Unpickling it creates ``path``: proof that a frame was (or was not) unpickled."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return open, (self.path, "w")


def _answer(host: str, port: int, data: bytes) -> bytes:
    """What the actor listening at host:port sends back to a connection that says ``data``
    (b"" once it closed the connection)."""
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(data)
        try:
            return sock.recv(1024)
        except ConnectionResetError:
            return b""


def test_an_actor_serves_no_connection_without_the_engines_token(ray_engine, tmp_path):
    first = ray_engine.run(FLOWS / "chain")
    assert first.status == "completed", first.error
    actors = list(ray_engine.executor.python.actors)
    assert actors and all(a.address for a in actors)
    touched = tmp_path / "unpickled"
    run_frame = encode({"type": "run", "job": _Touch(str(touched))})
    forged_token = header(32) + b"x" * 32

    for actor in actors:
        host, port = actor.address.rsplit(":", 1)
        assert _answer(host, int(port), forged_token) == b""
        assert _answer(host, int(port), run_frame) == b""
        assert _answer(host, int(port), pickle.dumps(_Touch(str(touched)))) == b""

    assert not touched.exists(), "a frame from a connection without the token was read"
    again = ray_engine.run(FLOWS / "chain")
    assert again.status == "completed", again.error
    assert again.outputs == first.outputs
    assert ray_engine.executor.python.actors == actors  # none was lost or replaced


def test_an_actor_the_engine_cannot_reach_fails_the_job_naming_its_address(
        ray_runtime, monkeypatch):
    def unreachable(address, timeout=None):
        raise ConnectionRefusedError(111, "Connection refused")

    with oocana_local.Engine(executor="ray") as engine:
        monkeypatch.setattr(connection, "socket",
                            types.SimpleNamespace(create_connection=unreachable))
        cut_off = engine.run(FLOWS / "chain")
        monkeypatch.undo()
        reached = engine.run(FLOWS / "chain")

    assert cut_off.status == "failed"
    assert "crashed" in cut_off.nodes.values()
    error = cut_off.error or ""
    assert re.search(r"cannot connect to the channel of the Ray actor at \S+:\d+ "
                     r"\(\[Errno 111\] Connection refused\)", error), error
    assert "the engine must reach the addresses of the Ray nodes" in error
    assert reached.status == "completed", reached.error


def test_a_new_actor_takes_only_a_connection_that_starts_with_its_token(ray_runtime,
                                                                        tmp_path):
    from oocana_local.worker.ray_actor import actor_class

    actor = actor_class(ray_runtime)({})
    try:
        token = secrets.token_bytes(32)
        where = ray_runtime.get(actor.open_channel.remote(token), timeout=120)
        host, port = where["host"], where["port"]
        touched = tmp_path / "unpickled"

        # Before the engine connects: still nothing without the token.
        assert _answer(host, port, header(32) + b"x" * 32) == b""
        assert _answer(host, port, encode({"type": "run", "job": _Touch(str(touched))})) \
            == b""
        assert not touched.exists()

        job = {"type": "run", "job": {"job_id": "j1", "session_id": "s1"}}
        with socket.create_connection((host, port), timeout=60) as sock:
            sock.sendall(header(32) + token + encode(job))
            said = sock.makefile("rb")
            message = pickle.loads(said.read(int.from_bytes(said.read(4), "big")))
            assert message["type"] == "BlockFinished" and message["job_id"] == "j1"
            assert "oocana-local worker failed" in message["error"]  # a bare job fails
            # While the engine holds the channel, not even its token opens a second one.
            assert _answer(host, port, header(32) + token) == b""
    finally:
        ray_runtime.kill(actor, no_restart=True)
