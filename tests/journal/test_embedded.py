"""The embedded redis-server (`journal.embedded.EmbeddedRedis`) on a real binary: start, PING,
data kept across restarts on one data dir, a clean stop, joining a running server, the
loopback-port fallback when the unix socket path would be too long, and no server left behind
when the process that started it dies without stopping it (a real parent process, killed)."""

from __future__ import annotations

import logging
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from eventstream import errors
from eventstream.journal.embedded import EmbeddedRedis, EmbeddedRedisError

_MAX_SOCKET_PATH = 100  # the limit embedded.py applies (sun_path is 104-108 bytes)
_WORKTREE = Path(__file__).resolve().parents[2]
_GONE_WITHIN_S = 5.0
_linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only"
)

# The parent: starts an EmbeddedRedis on argv[1], prints its pid, then dies as argv[2] says
# ("kill": waits to be SIGKILLed; "exit": os._exit without stop()).
_PARENT = """
import os, sys, time
from pathlib import Path
from eventstream.journal.embedded import EmbeddedRedis
server = EmbeddedRedis(Path(sys.argv[1]))
server.start()
print(server.process.pid, flush=True)
if sys.argv[2] == "exit":
    os._exit(0)
time.sleep(60)
"""


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


def test_error_lives_in_errors_and_is_re_exported() -> None:
    assert EmbeddedRedisError is errors.EmbeddedRedisError
    assert issubclass(EmbeddedRedisError, errors.EventStreamError)


def _read_line(stream: int, timeout_s: float) -> str:
    """One line from the pipe `stream`, waiting at most `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    data = b""
    while b"\n" not in data:
        left = deadline - time.monotonic()
        assert left > 0, f"no line within {timeout_s} s (got {data!r})"
        ready, _, _ = select.select([stream], [], [], left)
        if ready:
            chunk = os.read(stream, 4096)
            assert chunk, f"pipe closed before a line (got {data!r})"
            data += chunk
    return data.decode().strip()


def _gone(pid: int, timeout_s: float) -> bool:
    """Whether process `pid` is gone (or a zombie) within `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return not _alive(pid)


Spawn = Callable[[str], tuple[subprocess.Popen[bytes], int]]


@pytest.fixture
def spawn_parent(short_dir: Path) -> Iterator[Spawn]:
    """Starts `_PARENT` on `short_dir` in a given mode; returns it and the redis-server pid it
    printed. On teardown, kills what is left (the parent, and a redis-server that outlived it,
    so a failing test leaves nothing running)."""
    started: list[tuple[subprocess.Popen[bytes], int]] = []

    def spawn(mode: str) -> tuple[subprocess.Popen[bytes], int]:
        env = {**os.environ, "PYTHONPATH": str(_WORKTREE)}
        command = [sys.executable, "-c", _PARENT, str(short_dir), mode]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, env=env)
        assert process.stdout is not None
        try:
            redis_pid = int(_read_line(process.stdout.fileno(), timeout_s=20))
        except BaseException:
            process.kill()
            process.wait(timeout=10)
            process.stdout.close()
            raise
        started.append((process, redis_pid))
        return process, redis_pid

    yield spawn
    for process, redis_pid in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        assert process.stdout is not None
        process.stdout.close()
        if _alive(redis_pid):
            os.kill(redis_pid, signal.SIGKILL)


def _stopped_cleanly(data_dir: Path) -> bool:
    """Whether redis.log shows Redis's own SIGTERM shutdown (AOF flushed), not a kill."""
    return "ready to exit" in (data_dir / "redis.log").read_text(errors="replace")


@_linux_only
def test_parent_killed_takes_the_server_with_it(spawn_parent: Spawn, short_dir: Path) -> None:
    """SIGKILL on the owner (no stop(), no handler runs): the server stops within 5 s."""
    parent, redis_pid = spawn_parent("kill")
    assert _alive(redis_pid)
    url = f"unix://{short_dir / 'redis.sock'}"
    _client(url).set("before-the-kill", "1")
    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=10)
    assert _gone(redis_pid, _GONE_WITHIN_S), f"redis-server {redis_pid} outlived its parent"
    assert _stopped_cleanly(short_dir)
    with EmbeddedRedis(short_dir) as again:  # the next one starts afresh, data kept
        assert again.process is not None
        assert _client(again.url).get("before-the-kill") == b"1"


@_linux_only
def test_parent_exiting_without_stop_takes_the_server_with_it(spawn_parent: Spawn) -> None:
    """os._exit in the owner (no stop(), no atexit): the server stops within 5 s."""
    parent, redis_pid = spawn_parent("exit")
    assert parent.wait(timeout=10) == 0
    assert _gone(redis_pid, _GONE_WITHIN_S), f"redis-server {redis_pid} outlived its parent"


def test_start_outside_the_main_thread_is_logged(
    short_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The death signal follows the starting thread, not the process: starting from another
    thread is warned about, and the server indeed stops when that thread ends."""
    server = EmbeddedRedis(short_dir)
    caught: list[BaseException] = []

    def start() -> None:
        try:
            server.start()
        except BaseException as error:  # reported in the test thread
            caught.append(error)

    with caplog.at_level(logging.WARNING, logger="eventstream.journal.embedded"):
        worker = threading.Thread(target=start, name="short-lived")
        worker.start()
        worker.join(timeout=20)
    assert not worker.is_alive()
    assert not caught
    assert server.process is not None
    pid = server.process.pid
    try:
        if sys.platform.startswith("linux"):
            (record,) = [r for r in caplog.records if "main thread" in r.getMessage()]
            assert record.__dict__["starting_thread"] == "short-lived"
            # the hazard the warning names: the thread ended, so the kernel stopped the server
            assert _gone(pid, _GONE_WITHIN_S)
    finally:
        server.stop()
    assert not _alive(pid)
