"""Forwarding inside the other long-running commands: the server's lifespan and `ingest`."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from eventstream import codec
from eventstream.config import RedisSettings, Settings
from eventstream.journal.keys import Keys
from eventstream.serve.app import AppConfig
from tests.forward.conftest import (
    SAMPLE,
    Receiver,
    commit,
    delivered_ids,
    destination,
    until,
)
from tests.forward.test_process import _config, _eventstream
from tests.serve.servers import RedisServer, ThreadServer


async def test_serve_forwards_when_destinations_are_configured(
    redis_srv: RedisServer,
    aredis: Redis,
    keys: Keys,
    receiver: Receiver,
    sample_events: list[dict[str, Any]],
) -> None:
    """The server's lifespan runs the forwarders beside the broker; its metrics count them."""
    settings = Settings(
        redis=RedisSettings(url=redis_srv.url, key_prefix=keys.prefix),
        webhooks=[destination(receiver.url)],
    )
    server = await asyncio.to_thread(ThreadServer(AppConfig(settings, redis_srv.url, keys)).start)
    try:
        expected = await commit(aredis, keys, sample_events[:80])
        delivered = server.services.metrics.forward.delivered.labels("siem")
        await until(lambda: len(delivered_ids(receiver)) >= len(expected))
        await until(lambda: delivered._value.get() == len(expected))  # settled after the answer
    finally:
        await asyncio.to_thread(server.stop)
    assert delivered_ids(receiver) == expected
    assert not server.thread.is_alive()


async def test_ingest_forwards_until_every_destination_caught_up(
    tmp_path: Path, redis_srv: RedisServer, aredis: Redis, keys: Keys, receiver: Receiver
) -> None:
    """`ingest FILE` with a destination commits the file, forwards every entry, then ends."""
    config = _config(tmp_path, redis_srv, keys, receiver.url, start='"new"')
    process = await _eventstream("ingest", str(SAMPLE), "--config", str(config))
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGKILL)
    assert process.returncode == 0, stderr.decode()
    rows: Any = await aredis.xrange(keys.journal)
    journal = [codec.loads(fields[b"event"])["id"] for _, fields in rows]
    assert len(journal) > 400
    assert delivered_ids(receiver) == journal
