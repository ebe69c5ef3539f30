"""Fixtures of the client tests: the serving tests' real redis-server, uvicorn servers and
journal writer, and `eventstream serve` processes that can be killed and started again on the
same port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from eventstream.journal.keys import Keys
from tests.serve.conftest import journal, keys, redis_srv, sample_events, serve
from tests.serve.servers import ROOT, ProcessServer, RedisServer, free_port

__all__ = ["journal", "keys", "redis_srv", "sample_events", "serve"]


class RestartableServer(ProcessServer):
    """`eventstream serve` on a fixed port; `kill()` (SIGKILL) and `start()` again."""

    def __init__(self, args: list[str], port: int) -> None:
        self.args = args
        self.port = port
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        self.process = self._spawn()

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "eventstream", "serve", "--port", str(self.port), *self.args],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=dict(os.environ),
            cwd=ROOT,
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def start(self) -> RestartableServer:
        self.process = self._spawn()
        self.wait_ready()
        return self


@pytest.fixture
def restartable(redis_srv: RedisServer, keys: Keys, tmp_path: Path) -> Iterator[RestartableServer]:
    """A server process on this test's journal, with a short retry hint and heartbeat."""
    config = tmp_path / "serve.toml"
    config.write_text("[serve]\nretry_ms = 50\nheartbeat_s = 0.5\n")
    args = ["--redis-url", redis_srv.url, "--prefix", keys.prefix, "--config", str(config)]
    server = RestartableServer(args, free_port())
    try:
        yield server.wait_ready()  # type: ignore[misc]
    finally:
        server.close()
