"""`eventstream serve` as a process: shutdown, refusal to expose, two replicas on one Redis."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

from eventstream import codec
from eventstream.journal.keys import Keys
from eventstream.normalize.normalizer import Normalizer
from tests.conftest import corpus_dir
from tests.serve.conftest import Journal
from tests.serve.servers import ROOT, RedisServer, free_port, process_server
from tests.serve.sse_client import SSEStream, ids


async def test_shutdown_sends_final_event_and_closes_every_stream(
    redis_srv: RedisServer, keys: Keys
) -> None:
    """On SIGTERM, each subscriber gets a close event with a retry hint, then the process exits."""
    args = ["--redis-url", redis_srv.url, "--prefix", keys.prefix]
    with process_server(args) as server:
        async with (
            SSEStream(f"{server.url}/v1/events") as first,
            SSEStream(f"{server.url}/v1/events?type=delete") as second,
        ):
            await first.collect(5, lambda f: True, events_only=False)
            await second.collect(5, lambda f: True, events_only=False)
            started = time.monotonic()
            server.process.terminate()
            endings = [
                await stream.collect(10, lambda f: any(x.event == "close" for x in f))
                for stream in (first, second)
            ]
            leftovers = [await stream.drain(3) for stream in (first, second)]
        code = await asyncio.to_thread(server.process.wait, 15)
        took_s = time.monotonic() - started
        output = server.output()
    for frames, rest in zip(endings, leftovers, strict=True):
        close = frames[-1]
        assert close.data is not None
        assert codec.loads(close.data) == {"reason": "shutdown"}
        assert close.retry is not None
        assert rest == []
    assert first.ended
    assert second.ended
    assert code == 0
    assert "Application shutdown complete" in output
    assert took_s < 10


def test_refuses_public_address_without_tokens() -> None:
    """With no tokens, a non-loopback --host is refused unless explicitly allowed."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "eventstream",
            "serve",
            "--host",
            "0.0.0.0",
            "--redis-url",
            "redis://127.0.0.1:1",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert "host=0.0.0.0" in result.stderr
    assert "tokens" in result.stderr


async def test_two_replicas_each_serve_every_event(
    redis_srv: RedisServer, keys: Keys, journal: Journal, tmp_path: Path, normalizer: Normalizer
) -> None:
    """Two processes on one Redis, each ingesting its own file: both streams get every event."""
    lines = (corpus_dir() / "cloudtrail" / "invictus.jsonl").read_bytes().splitlines()
    halves = {"a": lines[:150], "b": lines[150:300]}
    expected = 0
    for name, part in halves.items():
        (tmp_path / f"{name}.jsonl").write_bytes(b"\n".join(part) + b"\n")
        expected += sum(len(normalizer.normalize(codec.loads(line)).events) for line in part)
    base = ["--redis-url", redis_srv.url, "--prefix", keys.prefix, "--ingest-pace-s", "0.01"]
    with (
        process_server([*base, "--ingest", str(tmp_path / "a.jsonl")]) as one,
        process_server([*base, "--ingest", str(tmp_path / "b.jsonl")]) as two,
    ):
        async with (
            SSEStream(f"{one.url}/v1/events?from=earliest") as on_one,
            SSEStream(f"{two.url}/v1/events?from=earliest") as on_two,
        ):
            got = []
            for stream in (on_one, on_two):
                frames = await stream.collect(30, lambda f: len(ids(f)) >= expected)
                got.append(ids(frames))
        origins = [codec.loads(frame.data or "{}")["data"]["raw"]["eventID"] for frame in frames]
    journal_ids = journal.ids()
    assert len(journal_ids) == expected
    assert got[0] == journal_ids
    assert got[1] == journal_ids
    from_a = {codec.loads(line)["eventID"] for line in halves["a"]}
    assert any(origin in from_a for origin in origins)
    assert any(origin not in from_a for origin in origins)


async def test_ingest_metrics_and_readiness(
    redis_srv: RedisServer, keys: Keys, journal: Journal, tmp_path: Path
) -> None:
    """Ingest counts records, commits and quarantines; an unreadable file is quarantined with
    its reason and the server stays ready."""
    lines = (corpus_dir() / "cloudtrail" / "invictus.jsonl").read_bytes().splitlines()[200:260]
    trail = tmp_path / "trail.jsonl"
    trail.write_bytes(b"\n".join([*lines[:30], b"{not json", *lines[30:]]) + b"\n")
    base = ["--redis-url", redis_srv.url, "--prefix", keys.prefix]
    with process_server([*base, "--ingest", str(trail)]) as server:
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                async with session.get(f"{server.url}/metrics") as response:
                    text = await response.text()
                # Records are counted as read, outcomes once their batch is committed.
                done = (
                    f'eventstream_events_committed_total{{source="files"}} {len(journal.ids())}.0'
                )
                if 'eventstream_records_quarantined_total{source="files"} 1.0' in text and (
                    done in text and journal.ids() and 'files"} 61.0' in text
                ):
                    break
                await asyncio.sleep(0.05)
            async with session.get(f"{server.url}/readyz") as response:
                assert response.status == 200
    assert 'eventstream_records_in_total{source="files"} 61.0' in text
    assert 'eventstream_records_quarantined_total{source="files"} 1.0' in text
    assert journal.ids()
    committed = f'eventstream_events_committed_total{{source="files"}} {len(journal.ids())}.0'
    assert committed in text
    with process_server([*base, "--ingest", str(tmp_path / "missing.jsonl")]) as server:
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                async with session.get(f"{server.url}/readyz") as response:
                    body = await response.json()
                async with session.get(f"{server.url}/metrics") as metrics:
                    text = await metrics.text()
                if 'eventstream_records_quarantined_total{source="files"} 1.0' in text:
                    break
                await asyncio.sleep(0.05)
    assert 'eventstream_records_quarantined_total{source="files"} 1.0' in text
    assert response.status == 200
    assert body["checks"]["source:files"] == "ok"


async def test_events_ingested_by_an_ingest_process_reach_a_serve_subscriber(
    redis_srv: RedisServer, keys: Keys, journal: Journal, tmp_path: Path, normalizer: Normalizer
) -> None:
    """`serve` (no sources) and `ingest` as separate processes on one Redis: a live subscriber
    of the server gets every event the ingest worker commits, in journal order."""
    lines = (corpus_dir() / "cloudtrail" / "invictus.jsonl").read_bytes().splitlines()[:300]
    trail = tmp_path / "trail.jsonl"
    trail.write_bytes(b"\n".join(lines) + b"\n")
    expected = sum(len(normalizer.normalize(codec.loads(line)).events) for line in lines)
    assert expected > 0
    base = ["--redis-url", redis_srv.url, "--prefix", keys.prefix]
    with process_server(base) as server:
        async with SSEStream(f"{server.url}/v1/events") as stream:
            head = await stream.collect(5, bool, events_only=False)
            assert head[0].id  # a live stream starts at the reader's position
            worker = await asyncio.create_subprocess_exec(
                *[sys.executable, "-m", "eventstream", "ingest", *base, str(trail)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                cwd=ROOT,
            )
            _, errors = await asyncio.wait_for(worker.communicate(), 60)
            assert worker.returncode == 0, errors.decode()[-2000:]
            frames = await stream.collect(30, lambda f: len(ids(f)) >= expected)
    assert len(journal.ids()) == expected
    assert ids(frames) == journal.ids()


async def test_ingest_probes_are_bounded_like_the_server(
    redis_srv: RedisServer, keys: Keys
) -> None:
    """`ingest --metrics-port` holds its connections to the same bounds: a request head over
    64 KiB is a 431 before it is read, and /healthz still answers."""
    port = free_port()
    command = [sys.executable, "-m", "eventstream", "ingest", "--demo", "--metrics-port"]
    command += [str(port), "--redis-url", redis_srv.url, "--prefix", keys.prefix]
    process = await asyncio.create_subprocess_exec(
        *command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT
    )
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(200):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientConnectorError:
                    await asyncio.sleep(0.05)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n")
        with contextlib.suppress(ConnectionError):  # the server may cut it mid-send
            await writer.drain()
        status = await asyncio.wait_for(reader.readline(), 10)
        writer.close()
        assert status.startswith(b"HTTP/1.1 431"), status
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 20)
    assert process.returncode == 0
