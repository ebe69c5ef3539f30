"""`eventstream ingest` on an SQS queue (moto over HTTP), killed with SIGKILL in the middle of
its batches and started again: SQS redelivers what was not deleted, and the journal ends with
every event of the files exactly once (the journal's dedup absorbs what was committed but not
yet deleted). The restarted process reports its source on /readyz and /metrics."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
from redis.asyncio import Redis

from eventstream.journal.keys import Keys
from tests.aws import scene
from tests.aws.conftest import REGION, Moto
from tests.serve.servers import ROOT, RedisServer, free_port


def _config(path: Path, moto: Moto, queue: str, redis_url: str, keys: Keys) -> Path:
    path.write_text(
        f'[redis]\nurl = "{redis_url}"\nkey_prefix = "{keys.prefix}"\n'
        "[pipeline]\nbatch_max_events = 10\n"
        f'[[sources]]\ntype = "sqs"\nqueue_url = "{queue}"\nregion = "{REGION}"\n'
        f'endpoint_url = "{moto.endpoint}"\nwait_time_s = 1\nvisibility_timeout_s = 10\n'
        "concurrency = 1\n"
    )
    return path


def _ingest(config: Path, log: Path, *more: str) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "eventstream", "ingest", "--config", str(config), *more],
            cwd=ROOT,
            env=dict(os.environ),
            stdout=subprocess.DEVNULL,
            stderr=output,
        )


async def test_sigkill_mid_batch_then_restart_gives_every_event_once(
    moto: Moto, corpus: Path, redis_srv: RedisServer, aredis: Redis, *, keys: Keys, tmp_path: Path
) -> None:
    bucket = scene.new_bucket(moto)
    queue = scene.new_queue(moto, "killed")
    s3 = moto.client("s3")
    files = scene.corpus_files(corpus)
    bodies = []
    for index, path in enumerate(files):
        key = scene.key_of(index, path)
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
        bodies.append(scene.s3_event(bucket, key, path.stat().st_size))
    scene.send(moto, queue, bodies)
    expected = Keys(prefix=keys.prefix + "-replay")
    scene.replay(files, redis_srv.url, expected)
    want = set(await scene.journal(aredis, expected))
    config = _config(tmp_path / "ingest.toml", moto, queue, redis_srv.url, keys)

    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = _ingest(config, first_log)
    try:
        deadline = time.monotonic() + 60
        while await aredis.xlen(keys.journal) < 60:
            assert first.poll() is None, first_log.read_text()
            assert time.monotonic() < deadline, "the first ingest committed nothing"
            await asyncio.sleep(0.02)
        first.send_signal(signal.SIGKILL)
    finally:
        first.wait(10)
    assert first.returncode == -signal.SIGKILL
    journaled_before = await aredis.xlen(keys.journal)
    assert journaled_before < len(want), "killed too late: everything was already committed"
    assert scene.queue_depth(moto, queue) > 0  # messages left, some of them in flight

    port = free_port()
    second = _ingest(config, second_log, "--metrics-port", str(port))
    try:
        deadline = time.monotonic() + 90
        while not (
            scene.queue_depth(moto, queue) == 0 and await aredis.xlen(keys.journal) >= len(want)
        ):
            assert second.poll() is None, second_log.read_text()
            assert time.monotonic() < deadline, "the restarted ingest did not finish"
            await asyncio.sleep(0.2)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/readyz") as response:
                ready = await response.json()
                status = response.status
            async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
                metrics = await response.text()
        second.send_signal(signal.SIGTERM)
        assert second.wait(20) == 0
    finally:
        if second.poll() is None:
            second.kill()
            second.wait(10)
    got = await scene.journal(aredis, keys)  # asserts that no event is journaled twice
    assert set(got) == want
    assert status == 200
    assert ready["checks"]["source:sqs"] == "ok"
    assert 'eventstream_source_messages_total{event="deleted",source="sqs"}' in metrics
    assert 'eventstream_source_objects_total{outcome="fetched",source="sqs"}' in metrics


async def test_readyz_names_the_failing_source_and_why(
    moto: Moto, redis_srv: RedisServer, keys: Keys, tmp_path: Path
) -> None:
    """An ingest process whose queue does not exist keeps running, not ready, and says why."""
    missing = f"{moto.endpoint}/123456789012/no-such-queue"
    config = _config(tmp_path / "ingest.toml", moto, missing, redis_srv.url, keys)
    port = free_port()
    log = tmp_path / "ingest.log"
    process = _ingest(config, log, "--metrics-port", str(port))
    try:
        body: dict[str, Any] = {}
        status = 0
        deadline = time.monotonic() + 60
        async with aiohttp.ClientSession() as session:
            while "failing" not in body.get("checks", {}).get("source:sqs", ""):
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, body
                await asyncio.sleep(0.2)
                try:
                    async with session.get(f"http://127.0.0.1:{port}/readyz") as response:
                        status, body = response.status, await response.json()
                except aiohttp.ClientConnectionError:
                    continue
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    assert status == 503
    assert body["status"] == "not ready"
    reason = body["checks"]["source:sqs"]
    assert reason.startswith(f"failing: {missing}: receive: ")
    assert "NonExistentQueue" in reason or "QueueDoesNotExist" in reason
    assert body["checks"]["redis"] == "ok"
    assert '"kind": "no_queue"' in log.read_text() or "no_queue" in log.read_text()
