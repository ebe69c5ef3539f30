"""The LookupEvents source against a local server speaking CloudTrail's JSON protocol:
pagination, throttling, the 2 requests per second limit, and a restart from the checkpoint
that neither misses nor repeats a window."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from eventstream.commands import ingest
from eventstream.commands.common import committing_pipeline
from eventstream.config import LookupSourceSettings, Settings
from eventstream.errors import ConfigError
from eventstream.journal.keys import Keys
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.catalog import default_registry
from eventstream.pipeline import Pipeline
from eventstream.pipeline.metrics import PipelineMetrics
from eventstream.sources.lookup import CheckpointStore, LookupSource
from tests.aws import scene
from tests.aws.cloudtrail import FakeCloudTrail, cloudtrail_server
from tests.conftest import read_jsonl
from tests.serve.servers import RedisServer

REGION = "us-east-1"


def _writes(corpus: Path, count: int) -> list[dict[str, Any]]:
    found = [
        record
        for record in read_jsonl(corpus / "cloudtrail" / "invictus.jsonl")
        if record.get("readOnly") is False and "errorCode" not in record
    ]
    return found[:count]


def _at(record: dict[str, Any], moment: float) -> dict[str, Any]:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))
    return {**record, "eventTime": stamp}


def _pipeline(
    fake: FakeCloudTrail, redis: Redis, keys: Keys, url: str, aws_env: None, **more: Any
) -> tuple[Pipeline, PipelineMetrics]:
    table = {
        "type": "cloudtrail_lookup",
        "regions": [REGION],
        "endpoint_url": fake.endpoint,
        "poll_interval_s": 0.5,
        "initial_lookback_s": 3600,
        "overlap_s": 300,
        "retry_first_s": 0.5,
    }
    settings = LookupSourceSettings.model_validate({**table, **more})
    metrics = PipelineMetrics(CollectorRegistry())
    store = CheckpointStore(redis, keys, "lookup")
    source = LookupSource(settings, store, name="lookup", metrics=metrics)
    pipeline = committing_pipeline(
        Settings(),
        [source],
        redis=redis,
        keys=keys,
        redis_url=url,
        metrics=metrics,
        wait_for_redis=True,
    )
    return pipeline, metrics


def _ids(records: list[dict[str, Any]]) -> set[str]:
    normalizer = Normalizer(default_registry())
    return {event["id"] for r in records for event in normalizer.normalize(r).events}


async def test_pages_throttling_rate_and_restart_from_the_checkpoint(
    corpus: Path, redis_srv: RedisServer, aredis: Redis, keys: Keys, aws_env: None
) -> None:
    now = time.time()
    records = _writes(corpus, 90)
    first = [_at(r, now - 1500 + i * 25) for i, r in enumerate(records[:60])]
    fake = FakeCloudTrail(page_size=20, throttle_next=1)
    for record in first:
        fake.add(_epoch(record), record)
    store = CheckpointStore(aredis, keys, "lookup")
    async with cloudtrail_server(fake):
        pipeline, metrics = _pipeline(fake, aredis, keys, redis_srv.url, aws_env)
        want = _ids(first)

        async def caught_up() -> bool:
            return (
                await store.get(REGION) is not None
                and set(await scene.journal(aredis, keys)) >= want
            )

        await _run_until(pipeline, caught_up)
        checkpoint = await store.get(REGION)
        assert checkpoint is not None
        assert fake.throttled >= 1  # the injected one, retried
        assert fake.too_fast == 0  # never faster than 2 per second
        assert any(r.token for r in fake.requests)  # the pages after the first
        assert {r.read_only for r in fake.requests} == {"false"}
        errors = "eventstream_source_errors_total"
        registry = metrics.registry
        throttled = registry.get_sample_value(errors, {"source": "lookup", "kind": "throttled"})
        assert (throttled or 0) >= 1
        assert set(await scene.journal(aredis, keys)) == want
        journaled = len(await scene.journal(aredis, keys))

        # The process was down for 10 minutes (its checkpoint is that old); meanwhile came new
        # events, and some that CloudTrail made visible late (dated before the checkpoint).
        stored = checkpoint - 600
        await aredis.set(keys.lookup_checkpoint("lookup", REGION), repr(stored))
        later = [_at(r, stored + 10 + i * 10) for i, r in enumerate(records[60:85])]
        late = [_at(r, stored - 60) for r in records[85:90]]
        for record in later + late:
            fake.add(_epoch(record), record)
        asked = len(fake.requests)
        await asyncio.sleep(0.5)  # the rate holds per process: the new one starts later
        pipeline, metrics = _pipeline(fake, aredis, keys, redis_srv.url, aws_env)
        want_all = want | _ids(later + late)

        async def complete() -> bool:
            return set(await scene.journal(aredis, keys)) >= want_all

        await _run_until(pipeline, complete)
        restart = fake.requests[asked]
        assert abs(restart.start - (stored - 300)) < 1  # from the checkpoint, overlapping
        got = await scene.journal(aredis, keys)  # asserts no event journaled twice
        assert set(got) == want_all
        assert len(got) == journaled + len(_ids(later + late))
        assert pipeline.totals.duplicates > 0  # the overlap, absorbed by the journal
        assert fake.too_fast == 0


def _epoch(record: dict[str, Any]) -> float:
    return float(time.mktime(time.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ"))) - (
        time.timezone
    )


async def _run_until(pipeline: Pipeline, done: Any, timeout_s: float = 60.0) -> None:
    task = asyncio.create_task(pipeline.run())
    deadline = time.monotonic() + timeout_s
    try:
        while not await done():
            assert not task.done(), "the pipeline ended by itself"
            assert time.monotonic() < deadline, "timed out"
            await asyncio.sleep(0.2)
    finally:
        pipeline.stop()
        await asyncio.wait_for(task, 30)


async def test_since_backfills_what_is_older_than_the_checkpoint(
    corpus: Path, redis_srv: RedisServer, aredis: Redis, keys: Keys, aws_env: None
) -> None:
    """`eventstream ingest --since`: windows from that time on, the checkpoint ignored."""
    now = time.time()
    old = [_at(r, now - 5 * 86_400 + i * 60) for i, r in enumerate(_writes(corpus, 30))]
    fake = FakeCloudTrail(page_size=50)
    for record in old:
        fake.add(_epoch(record), record)
    await aredis.set(keys.lookup_checkpoint("lookup", REGION), repr(now))
    since = ingest.with_since(
        Settings.model_validate({"sources": [{"type": "cloudtrail_lookup", "regions": ["x"]}]}),
        time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 6 * 86_400)),
    ).sources[0]
    assert isinstance(since, LookupSourceSettings)
    assert since.since is not None
    async with cloudtrail_server(fake):
        pipeline, _ = _pipeline(
            fake, aredis, keys, redis_srv.url, aws_env, since=since.since, window_s=86_400 * 2
        )
        want = _ids(old)

        async def done() -> bool:
            return set(await scene.journal(aredis, keys)) >= want

        await _run_until(pipeline, done)
    assert abs(fake.requests[0].start - since.since.timestamp()) < 1
    assert fake.too_fast == 0


def test_since_must_be_a_time_with_a_zone_and_needs_a_lookup_source() -> None:
    lookup = Settings.model_validate({"sources": [{"type": "cloudtrail_lookup", "regions": ["x"]}]})
    with pytest.raises(ConfigError, match="give a time zone"):
        ingest.with_since(lookup, "2026-11-01T00:00:00")
    with pytest.raises(ConfigError, match="not an RFC 3339 time"):
        ingest.with_since(lookup, "yesterday")
    with pytest.raises(ConfigError, match="none is configured"):
        ingest.with_since(Settings(), "2026-11-01T00:00:00Z")
    assert ingest.with_since(lookup, None) is lookup


EU = "eu-west-1"


def _in(region: str, records: list[dict[str, Any]], start: float) -> list[dict[str, Any]]:
    return [_at({**r, "awsRegion": region}, start + i * 30) for i, r in enumerate(records)]


async def test_two_regions_each_its_events_and_a_checkpoint_of_its_own(
    corpus: Path, redis_srv: RedisServer, aredis: Redis, keys: Keys, aws_env: None
) -> None:
    now = time.time()
    records = _writes(corpus, 80)
    east, west = _in(REGION, records[:25], now - 1500), _in(EU, records[25:50], now - 1400)
    fake = FakeCloudTrail(page_size=10)
    for region, batch in ((REGION, east), (EU, west)):
        for record in batch:
            fake.add(_epoch(record), record, region)
    store = CheckpointStore(aredis, keys, "lookup")
    regions = {"regions": [REGION, EU]}
    async with cloudtrail_server(fake):
        # Both regions polled at once: the events of each arrive, each region has its
        # checkpoint.
        pipeline, _ = _pipeline(fake, aredis, keys, redis_srv.url, aws_env, **regions)
        want = _ids(east + west)

        async def both() -> bool:
            stored = [await store.get(region) for region in (REGION, EU)]
            return None not in stored and set(await scene.journal(aredis, keys)) >= want

        await _run_until(pipeline, both)
        assert set(await scene.journal(aredis, keys)) == want
        assert len(fake.asked(REGION)) >= 3  # 25 events, pages of 10
        assert len(fake.asked(EU)) >= 3
        assert {r.region for r in fake.requests} == {REGION, EU}
        assert fake.too_fast == 0, _arrivals(fake)  # 2 per second in each region, both at once

        # Each region restarts from its own checkpoint; one that fails does not hold up the
        # other's, and its own stays where it was.
        east_at, west_at = now - 600, now - 1200
        await aredis.set(keys.lookup_checkpoint("lookup", REGION), repr(east_at))
        await aredis.set(keys.lookup_checkpoint("lookup", EU), repr(west_at))
        east_later = _in(REGION, records[50:60], east_at + 10)
        west_later = _in(EU, records[60:70], west_at + 10)
        for region, batch in ((REGION, east_later), (EU, west_later)):
            for record in batch:
                fake.add(_epoch(record), record, region)
        fake.denied.add(EU)
        asked = len(fake.requests)
        await asyncio.sleep(0.5)  # the rate holds per process: the new one starts later
        pipeline, metrics = _pipeline(fake, aredis, keys, redis_srv.url, aws_env, **regions)
        want_east = want | _ids(east_later)

        async def east_moved() -> bool:
            stored = await store.get(REGION)
            journal = set(await scene.journal(aredis, keys))
            return stored is not None and stored > east_at + 500 and journal >= want_east

        await _run_until(pipeline, east_moved)
        assert await store.get(EU) == west_at
        assert set(await scene.journal(aredis, keys)) == want_east  # nothing new from eu-west-1
        assert abs(fake.asked(REGION)[_since(fake, REGION, asked)].start - (east_at - 300)) < 1
        assert abs(fake.asked(EU)[_since(fake, EU, asked)].start - (west_at - 300)) < 1
        errors = "eventstream_source_errors_total"
        denied = metrics.registry.get_sample_value(
            errors, {"source": "lookup", "kind": "access_denied"}
        )
        assert (denied or 0) >= 1

        # eu-west-1 works again: it catches up from its own checkpoint.
        fake.denied.clear()
        asked = len(fake.requests)
        await asyncio.sleep(0.5)
        pipeline, _ = _pipeline(fake, aredis, keys, redis_srv.url, aws_env, **regions)
        want_all = want_east | _ids(west_later)

        async def west_moved() -> bool:
            stored = await store.get(EU)
            journal = set(await scene.journal(aredis, keys))
            return stored is not None and stored > west_at + 1000 and journal >= want_all

        await _run_until(pipeline, west_moved)
        assert abs(fake.asked(EU)[_since(fake, EU, asked)].start - (west_at - 300)) < 1
        east_now = await store.get(REGION)
        assert east_now is not None
        assert east_now > east_at + 500
        assert set(await scene.journal(aredis, keys)) == want_all  # no event journaled twice
        assert fake.too_fast == 0


def _since(fake: FakeCloudTrail, region: str, asked: int) -> int:
    """The index, among `region`'s requests, of its first after the first `asked` of all."""
    return len([r for r in fake.requests[:asked] if r.region == region])


def _arrivals(fake: FakeCloudTrail) -> list[tuple[float, str, str | None]]:
    """When each request arrived (seconds after the first), its region and page token."""
    first = fake.requests[0].at
    return [(round(r.at - first, 3), r.region, r.token) for r in fake.requests]
