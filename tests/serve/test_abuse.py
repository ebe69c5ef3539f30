"""`eventstream serve` under slowloris and header bombs: the attackers are cut within the
configured bounds, the process's memory stays flat, and /healthz keeps answering at once."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from eventstream import codec
from eventstream.config.serve import token_hash
from eventstream.journal.keys import Keys
from tests.serve.probe import rss_mb
from tests.serve.raw_http import Connection, get
from tests.serve.servers import ROOT, ProcessServer, RedisServer, process_server
from tests.serve.test_protocol import TOKEN

HEAD_TIMEOUT_S = 2.0
SLOW_CLIENTS = 200
RSS_BOUND_MB = 50.0
ATTACK_S = 2.0
HEALTHZ_BOUND_S = 0.050
HEALTHZ_WORST_S = 0.250
"""/healthz answers within 50 ms, allowing 1 probe in 20 up to 250 ms: the tests share two
cores with other work, and a process descheduled for a moment is not the server's doing
(plain uvicorn takes over 1.5 s under the same bombs: `bench/abuse.py`)."""


@contextlib.contextmanager
def _server(tmp_path: Path, redis_srv: RedisServer, keys: Keys) -> Iterator[ProcessServer]:
    """The real command, with tokens, a 2 s head timeout and at most 100 connections from
    one address (so that half the slow clients are also over the per-client limit)."""
    config = tmp_path / "serve.toml"
    config.write_text(
        "[serve]\n"
        f"head_timeout_s = {HEAD_TIMEOUT_S}\n"
        "max_connections_per_client = 100\n"
        "[[serve.tokens]]\n"
        'name = "ops"\n'
        f'sha256 = "{token_hash(TOKEN)}"\n'
        'accounts = ["*"]\n'
    )
    args = ["--config", str(config), "--redis-url", redis_srv.url, "--prefix", keys.prefix]
    with process_server([*args, "--log-level", "warning"]) as server:
        yield server


class Watch:
    """/healthz from another client address (127.0.0.2) every 50 ms on one keep-alive
    connection, and the server's RSS, from a process of its own (`probe.py`) until stopped."""

    def __init__(self, server: ProcessServer) -> None:
        self.latencies: list[float] = []
        self.rss: list[float] = []
        pid = str(server.process.pid)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.serve.probe", *(str(server.port), "127.0.0.2", pid)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
        )
        assert self.process.stdout is not None
        ready = self.process.stdout.readline()  # the probe answers before the attack begins
        assert ready == b"ready\n", ready

    def stop(self) -> None:
        output, _ = self.process.communicate(b"", timeout=30)
        found = codec.loads(output)
        assert set(found["statuses"]) == {200}
        self.latencies, self.rss = found["latencies_s"], found["rss_mb"]


async def _warm_up(server: ProcessServer) -> float:
    """A few requests so that start-up allocations are behind us; the RSS then."""
    for _ in range(20):
        connection = await Connection.open(server.port, "127.0.0.2")
        await connection.send(get("/healthz"))
        assert (await connection.answer()).status == 200
        connection.close()
    await asyncio.sleep(0.3)
    return rss_mb(server.process.pid)


async def _slow_client(port: int) -> tuple[float, bytes]:
    """Send a request head a byte every 0.25 s until the server closes: how long that took,
    and what the server answered."""
    started = time.monotonic()
    connection = await Connection.open(port)
    head = b"GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 1000

    async def trickle() -> None:
        with contextlib.suppress(ConnectionError):
            for byte in head:
                await connection.send(bytes([byte]))
                await asyncio.sleep(0.25)

    writer = asyncio.create_task(trickle())
    try:
        answer = b""
        async with asyncio.timeout(HEAD_TIMEOUT_S + 8):
            with contextlib.suppress(ConnectionError):
                while chunk := await connection.reader.read(65536):
                    answer += chunk
        return time.monotonic() - started, answer
    finally:
        writer.cancel()
        connection.close()


async def test_slowloris_clients_are_cut_at_the_head_timeout(
    tmp_path: Path, redis_srv: RedisServer, keys: Keys
) -> None:
    """200 connections trickling a header a byte at a time are all answered 408 and closed
    about `head_timeout_s` after they connected; RSS stays within 50 MB of its start and
    /healthz answers within 50 ms throughout."""
    with _server(tmp_path, redis_srv, keys) as server:
        start_mb = await _warm_up(server)
        watch = Watch(server)
        await asyncio.sleep(0.2)
        results = await asyncio.gather(*(_slow_client(server.port) for _ in range(SLOW_CLIENTS)))
        watch.stop()
    durations = sorted(duration for duration, _ in results)
    assert all(answer.startswith(b"HTTP/1.1 408 ") for _, answer in results)
    assert durations[0] > HEAD_TIMEOUT_S - 0.05
    assert durations[-1] < HEAD_TIMEOUT_S + 1.0, durations[-5:]
    _report("slowloris", start_mb, watch)


async def _bomb(port: int, megabytes: int) -> tuple[float, bytes, int]:
    """One request whose header is `megabytes` long, written as fast as the server reads:
    how long until the server closed the connection, its answer (empty if the close, a reset,
    came first: the server stops reading a few MB after its answer), and the bytes written."""
    started = time.monotonic()
    connection = await Connection.open(port)
    filler = b"b" * 65536
    written = 0

    async def flood() -> None:
        nonlocal written
        with contextlib.suppress(ConnectionError):
            await connection.send(b"GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Bomb: ")
            for _ in range(megabytes * 16):
                await connection.send(filler)
                written += len(filler)
            await connection.send(b"\r\n\r\n")

    writer = asyncio.create_task(flood())
    answer = b""
    try:
        async with asyncio.timeout(10):
            with contextlib.suppress(ConnectionError):
                while chunk := await connection.reader.read(65536):
                    answer += chunk
        return time.monotonic() - started, answer, written
    finally:
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer
        connection.close()


async def test_header_bombs_are_cut_without_being_read(
    tmp_path: Path, redis_srv: RedisServer, keys: Keys
) -> None:
    """Waves of ten 64 MB headers (three at least, for two seconds at least) to a server with
    tokens: each connection is answered 431 (never the app's 401) or reset, within a second
    and after a fraction of its header; RSS stays within 50 MB of its start and /healthz
    answers within 50 ms throughout."""
    with _server(tmp_path, redis_srv, keys) as server:
        start_mb = await _warm_up(server)
        watch = Watch(server)
        await asyncio.sleep(0.2)
        results: list[tuple[float, bytes, int]] = []
        started = time.monotonic()
        # At least three waves, and waves for at least ATTACK_S, so /healthz is probed
        # throughout an attack of some length, not a burst shorter than a few probes.
        while len(results) < 30 or time.monotonic() - started < ATTACK_S:
            results += await asyncio.gather(*(_bomb(server.port, 64) for _ in range(10)))
        await asyncio.sleep(0.5)
        watch.stop()
    answered = [answer for _, answer, _ in results if answer]
    assert all(answer.startswith(b"HTTP/1.1 431 ") for answer in answered)
    assert max(elapsed for elapsed, _, _ in results) < 1.0
    assert max(written for _, _, written in results) < 32 << 20  # of 64 MB each
    print(f"header bombs: {len(answered)} of {len(results)} read their 431 before the reset")
    _report("header bombs", start_mb, watch)


def _report(name: str, start_mb: float, watch: Watch) -> None:
    peak_mb = max(watch.rss)
    slowest = max(watch.latencies)
    print(  # shown with -s: the figures of the run
        f"{name}: RSS {start_mb:.1f} MB at start, {peak_mb:.1f} MB at most; /healthz "
        f"{len(watch.latencies)} probes, slowest {slowest * 1000:.1f} ms"
    )
    assert len(watch.latencies) >= 10
    assert peak_mb - start_mb < RSS_BOUND_MB
    ordered = sorted(watch.latencies)
    assert ordered[int(len(ordered) * 0.95) - 1] < HEALTHZ_BOUND_S, ordered[-5:]
    assert slowest < HEALTHZ_WORST_S, ordered[-5:]
