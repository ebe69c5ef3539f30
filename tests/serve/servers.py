"""Real servers for the serving tests: redis-server processes and uvicorn, on loopback only."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from eventstream.serve.app import AppConfig, create_app
from eventstream.serve.context import Services
from eventstream.serve.server import create_server

ROOT = Path(__file__).resolve().parents[2]
_START_TIMEOUT_S = 15.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class RedisServer:
    """A real redis-server on a unix socket in a temporary folder."""

    folder: Path
    process: subprocess.Popen[bytes]

    @property
    def socket_path(self) -> Path:
        return self.folder / "redis.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def client(self) -> redis.Redis:
        return redis.Redis(unix_socket_path=str(self.socket_path))


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(
            "redis-server not found: apt-get install redis-server (scripts/test-deps.sh)"
        )
    with tempfile.TemporaryDirectory(prefix="es-redis-") as folder:
        path = Path(folder)
        process = subprocess.Popen(
            [
                binary,
                "--port",
                "0",
                "--unixsocket",
                str(path / "redis.sock"),
                "--unixsocketperm",
                "700",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                folder,
            ],
            stdout=subprocess.DEVNULL,
        )
        server = RedisServer(path, process)
        try:
            _wait_redis(server)
            yield server
        finally:
            process.terminate()
            process.wait(timeout=10)


def _wait_redis(server: RedisServer) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.socket_path.exists():
            try:
                if server.client().ping():
                    return
            except redis.ConnectionError:
                pass
        time.sleep(0.02)
    raise RuntimeError(f"redis-server did not start in {server.folder}")


class ThreadServer:
    """The real app under real uvicorn, in a thread of the test process, on a free port."""

    def __init__(self, config: AppConfig) -> None:
        self.app = create_app(config)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.tls = config.settings.serve.tls_cert_file is not None
        self.server = create_server(
            self.app,
            config.settings.serve,
            self.app.begin_shutdown,
            lifespan="on",
            log_level="warning",
            timeout_graceful_shutdown=5,
        )
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def services(self) -> Services:
        found: Services = self.app.state.services
        return found

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        await self.server.serve(sockets=[self.sock])

    def start(self) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def call(self, fn: Any) -> None:
        """Run `fn()` on the server's event loop."""
        assert self.loop is not None
        self.loop.call_soon_threadsafe(fn)

    def stop(self) -> None:
        """Stop as the command does on SIGTERM (`Server.stop`)."""
        if self.thread.is_alive():
            self.call(self.server.stop)
            self.thread.join(timeout=15)
        self.sock.close()


@contextmanager
def thread_server(config: AppConfig) -> Iterator[ThreadServer]:
    server = ThreadServer(config).start()
    try:
        yield server
    finally:
        server.stop()


class ProcessServer:
    """`eventstream serve` in a subprocess (the command people run), stopped by SIGTERM."""

    def __init__(self, args: Sequence[str], env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        self.process = subprocess.Popen(
            [sys.executable, "-m", "eventstream", "serve", "--port", str(self.port), *args],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=ROOT,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def wait_ready(self) -> ProcessServer:
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.output()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"server did not listen: {self.output()[-3000:]}")

    def terminate(self, timeout_s: float = 15.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout_s)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.log.close()


@contextmanager
def process_server(
    args: Sequence[str], env: dict[str, str] | None = None
) -> Iterator[ProcessServer]:
    server = ProcessServer(args, env)
    try:
        yield server.wait_ready()
    finally:
        server.close()
