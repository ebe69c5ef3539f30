"""SIGTERM in each start-up window, on the embedded default in a fresh data folder: just after
the embedded redis-server is spawned and as soon as its socket appears (`serve` and `replay`),
just after the `embedded redis` log line and once the app answers (`serve`). Every run must
exit with status 0 within 10 s, and leave no redis-server behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import corpus_dir
from tests.serve.servers import ROOT, free_port
from tests.test_shutdown import _redis_pids

_EXIT_S = 10.0
_WAIT_S = 60.0
_POLL_S = 0.001


def _command(mode: str, port: int) -> list[str]:
    base = [sys.executable, "-m", "eventstream"]
    if mode == "serve":
        return [*base, "serve", "--port", str(port), "--demo", "--demo-pace-s", "0.001"]
    return [*base, "replay", str(corpus_dir() / "cloudtrail")]


def _healthz_answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _window(name: str, data_dir: Path, log: Path, port: int) -> Callable[[], bool]:
    """The condition that opens the window `name`."""
    if name == "spawned":
        return lambda: bool(_redis_pids(data_dir))
    if name == "socket":
        return (data_dir / "redis.sock").exists
    if name == "logged":
        return lambda: b"embedded redis" in log.read_bytes()
    return lambda: _healthz_answers(port)


@pytest.mark.timeout(180)
@pytest.mark.parametrize(
    ("mode", "window"),
    [
        ("serve", "spawned"),
        ("serve", "socket"),
        ("serve", "logged"),
        ("serve", "up"),
        ("replay", "spawned"),
        ("replay", "socket"),
    ],
)
def test_sigterm_in_a_start_up_window(mode: str, window: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "redis"
    log = tmp_path / "run.log"
    port = free_port()
    env = {**os.environ, "EVENTSTREAM_REDIS__DATA_DIR": str(data_dir)}
    env.pop("REDIS_URL", None)
    opened = _window(window, data_dir, log, port)
    with log.open("wb") as out:
        process = subprocess.Popen(
            _command(mode, port), stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT
        )
    try:
        deadline = time.monotonic() + _WAIT_S
        while not opened():
            assert process.poll() is None, f"exited before the window: {log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, f"the {window} window never opened"
            time.sleep(_POLL_S)
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(_EXIT_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{mode} ignored SIGTERM in the {window} window: {log.read_text()[-2000:]}")
        took_s = time.monotonic() - signalled
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    output = log.read_text(errors="replace")[-2000:]
    assert code == 0, f"{mode}, {window}: status {code}\n{output}"
    assert took_s < _EXIT_S
    for _ in range(100):
        if not _redis_pids(data_dir):
            break
        time.sleep(0.05)
    assert _redis_pids(data_dir) == [], f"{mode}, {window}: redis-server left behind\n{output}"
