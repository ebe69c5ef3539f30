"""A redis-server with an append-only file that tests can kill and start again."""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

_START_TIMEOUT_S = 15.0


class AofRedis:
    """A redis-server on a unix socket in `folder`, with `appendfsync always`: every write it
    acknowledged is on disk, so a SIGKILL loses nothing acknowledged."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def socket_path(self) -> Path:
        return self.folder / "redis.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def client(self) -> redis.Redis:
        return redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=5)

    def start(self) -> AofRedis:
        binary = shutil.which("redis-server")
        assert binary is not None, "redis-server not found: apt-get install redis-server"
        command = [
            binary,
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.folder),
            "--appendonly", "yes",
            "--appendfsync", "always",
            "--save", "",
            "--logfile", str(self.folder / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "redis-server exited at start"
            try:
                if self.client().ping():
                    return self
            except (redis.ConnectionError, redis.BusyLoadingError, OSError):
                pass
            time.sleep(0.02)
        raise AssertionError(f"redis-server did not answer on {self.socket_path}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no final flush."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def aof_redis() -> Iterator[AofRedis]:
    # A short folder of our own: the socket path must fit in sun_path.
    with tempfile.TemporaryDirectory(prefix="es-replay-", dir="/tmp") as folder:
        server = AofRedis(Path(folder)).start()
        try:
            yield server
        finally:
            server.stop()
