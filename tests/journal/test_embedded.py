"""The embedded redis-server (`journal.embedded.EmbeddedRedis`) on a real binary: start, PING,
data kept across restarts on one data dir, a clean stop, joining a running server, and the
loopback-port fallback when the unix socket path would be too long."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from eventstream.journal.embedded import EmbeddedRedis, EmbeddedRedisError

_MAX_SOCKET_PATH = 100  # the limit embedded.py applies (sun_path is 104-108 bytes)


def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def _answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def _alive(pid: int) -> bool:
    """Whether a process `pid` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return status.rpartition(")")[2].split()[0] != "Z"


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A data dir whose socket path fits in sun_path (pytest's tmp_path may be long)."""
    with tempfile.TemporaryDirectory(prefix="es-emb-", dir="/tmp") as folder:
        path = Path(folder) / "redis"
        assert len(str(path / "redis.sock")) <= _MAX_SOCKET_PATH
        yield path


@pytest.fixture
def deep_dir(tmp_path: Path) -> Path:
    """A data dir whose socket path is too long for a unix socket."""
    path = tmp_path.joinpath(*(["d" * 40] * 4), "redis")
    assert len(str(path / "redis.sock")) > 110
    return path


@pytest.fixture(params=["socket", "port"])
def data_dir(request: pytest.FixtureRequest, short_dir: Path, deep_dir: Path) -> Path:
    return short_dir if request.param == "socket" else deep_dir


def _check_transport(server: EmbeddedRedis) -> None:
    if len(str(server.socket_path)) <= _MAX_SOCKET_PATH:
        assert server.url == f"unix://{server.socket_path}"
        assert server.socket_path.exists()
    else:
        assert server.url.startswith("redis://127.0.0.1:")
        assert server.port_file.read_text().strip() == server.url.rpartition(":")[2]
        assert not server.socket_path.exists()


def test_starts_answers_and_stops_without_leaving_a_process(data_dir: Path) -> None:
    server = EmbeddedRedis(data_dir)
    url = server.start()
    try:
        assert url == server.url
        _check_transport(server)
        assert _answers(url)
        assert server.process is not None
        pid = server.process.pid
        assert _alive(pid)
    finally:
        server.stop()
    assert server.process is None
    assert not _alive(pid)
    assert not _answers(url)
    assert not server.port_file.exists()
    server.stop()  # a second stop is harmless


def test_data_survives_a_restart_on_the_same_dir(data_dir: Path) -> None:
    with EmbeddedRedis(data_dir) as first:
        client = _client(first.url)
        client.set("kept", "yes")
        client.xadd("stream", {"n": "1"})
        client.close()
    assert (data_dir / "appendonlydir").is_dir()
    with EmbeddedRedis(data_dir) as second:
        client = _client(second.url)
        assert client.get("kept") == b"yes"
        assert client.xlen("stream") == 1
        client.close()


def test_second_instance_joins_without_owning(data_dir: Path) -> None:
    owner = EmbeddedRedis(data_dir)
    owner.start()
    try:
        assert owner.process is not None
        pid = owner.process.pid
        guest = EmbeddedRedis(data_dir)
        assert guest.start() == owner.url
        assert guest.process is None
        _client(guest.url).set("from-guest", "1")
        guest.stop()
        assert _alive(pid)
        assert _answers(owner.url)
        assert _client(owner.url).get("from-guest") == b"1"
    finally:
        owner.stop()
    assert not _alive(pid)


def test_relative_data_dir_is_resolved(short_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    short_dir.parent.joinpath("work").mkdir()
    monkeypatch.chdir(short_dir.parent / "work")
    with EmbeddedRedis(Path("../redis")) as server:
        assert server.data_dir == short_dir.resolve()
        assert _answers(server.url)


def test_stale_socket_from_a_killed_server_is_replaced(short_dir: Path) -> None:
    """A socket file left behind by a server that died does not count as a running server."""
    short_dir.mkdir(parents=True)
    (short_dir / "redis.sock").write_text("stale")
    with EmbeddedRedis(short_dir) as server:
        assert server.process is not None
        assert _answers(server.url)


@pytest.mark.parametrize("binary", ["/nonexistent/bin/redis-server", "no-such-redis-server-xyz"])
def test_missing_binary_is_named(tmp_path: Path, binary: str) -> None:
    server = EmbeddedRedis(tmp_path / "redis", binary=binary)
    with pytest.raises(EmbeddedRedisError) as caught:
        server.start()
    assert binary in str(caught.value)
    assert caught.value.data_dir == (tmp_path / "redis").resolve()
    assert server.process is None


def test_binary_that_exits_at_start(short_dir: Path) -> None:
    """A binary that exits at once is reported with the data dir, not waited on forever."""
    fake = short_dir.parent / "fake-redis"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    server = EmbeddedRedis(short_dir, binary=str(fake))
    with pytest.raises(EmbeddedRedisError, match="exited at start"):
        server.start()
    assert server.process is None
