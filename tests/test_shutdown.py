"""SIGTERM at random moments, in real processes on the embedded Redis: every run exits in time
with status 0, subscribers get their `close` event, no redis-server is left behind, and the
journal holds no half-written batch."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from redis.asyncio import Redis

from eventstream.journal.embedded import EmbeddedRedis
from eventstream.journal.keys import Keys
from tests.conftest import corpus_dir
from tests.journal.consistency import consistent
from tests.serve.servers import ROOT, free_port

_RUNS = 20
_EXIT_S = 10.0
_SUBSCRIBERS = 20


def _redis_pids(data_dir: Path) -> list[int]:
    """redis-server processes serving `data_dir` (by their command line)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"redis-server" in command and str(data_dir).encode() in command:
            found.append(int(entry.name))
    return found


def _command(mode: str, port: int) -> list[str]:
    base = [sys.executable, "-m", "eventstream"]
    corpus = str(corpus_dir() / "cloudtrail")
    if mode == "serve-demo":
        return [*base, "serve", "--port", str(port), "--demo", "--demo-pace-s", "0.001"]
    if mode == "serve-ingest":
        return [*base, "serve", "--port", str(port), "--ingest", corpus]
    return [*base, "ingest", corpus, "--demo", "--metrics-port", str(port)]


async def _subscribe(url: str, seen: list[bool], index: int) -> None:
    """One stream: marks `seen[index]` when its `close` event arrives."""
    timeout = aiohttp.ClientTimeout(total=None, sock_read=15)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(f"{url}/v1/events") as response,
        ):
            async for line in response.content:
                if line.startswith(b"event: close"):
                    seen[index] = True
                    return
    except (aiohttp.ClientError, TimeoutError):
        return


async def _up(url: str, deadline: float) -> bool:
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return True
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    return False


async def _one_run(mode: str, delay_s: float, data_dir: Path, log: Path) -> tuple[int, float]:
    port = free_port()
    env = {**os.environ, "EVENTSTREAM_REDIS__DATA_DIR": str(data_dir)}
    env.pop("REDIS_URL", None)
    with log.open("wb") as out:  # starting a process does not block; it is waited in a thread
        process = subprocess.Popen(  # noqa: ASYNC220
            _command(mode, port), stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT
        )
    started = time.monotonic()
    url = f"http://127.0.0.1:{port}"
    seen = [False] * _SUBSCRIBERS
    async with asyncio.TaskGroup() as group:
        streams = []
        if mode == "serve-ingest" and await _up(url, started + delay_s):
            streams = [group.create_task(_subscribe(url, seen, i)) for i in range(_SUBSCRIBERS)]
            await asyncio.sleep(0.3)
        await asyncio.sleep(max(0.0, started + delay_s - time.monotonic()))
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.to_thread(process.wait, _EXIT_S + 5)
        except subprocess.TimeoutExpired:
            process.kill()
            code = -9
    took_s = time.monotonic() - signalled
    if streams:
        assert all(seen), f"{mode}: {seen.count(False)} streams got no close event"
    return code, took_s


@pytest.mark.timeout(900)
async def test_sigterm_at_random_moments(tmp_path: Path) -> None:
    """20 runs across serve --demo, serve --ingest (20 subscribers) and ingest."""
    rng = random.Random(20261202)
    data_dir = tmp_path / "redis"
    modes = ("serve-demo", "serve-ingest", "ingest")
    for run in range(_RUNS):
        mode = modes[run % len(modes)]
        # From 0.5 s: before that the interpreter itself is still starting (site, imports of
        # the standard library), a window no program can close; on a loaded two-core machine
        # it was seen to last 0.25 s. `cli.main` installs the handlers as its first act.
        delay_s = rng.uniform(0.5, 5.0)
        log = tmp_path / f"run-{run}.log"
        code, took_s = await _one_run(mode, delay_s, data_dir, log)
        output = log.read_text(errors="replace")[-2000:]
        assert code == 0, f"run {run} ({mode}, SIGTERM at {delay_s:.2f} s): {code}\n{output}"
        assert took_s < _EXIT_S, f"run {run} ({mode}) took {took_s:.1f} s to stop\n{output}"
        for _ in range(100):
            if not _redis_pids(data_dir):
                break
            await asyncio.sleep(0.05)
        assert _redis_pids(data_dir) == [], f"run {run} ({mode}) left redis-server behind"
    with EmbeddedRedis(data_dir, "redis-server") as embedded:
        client = Redis.from_url(embedded.url)
        try:
            assert await consistent(client, Keys()) > 0
        finally:
            await client.aclose()
