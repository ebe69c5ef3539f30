"""What the change tests share: CloudTrail records as the services write them (shapes taken
from real records of these calls), their events through the real `Normalizer`, and a
`LiveCommitter` over the real journal `Committer` whose journaled events are read back."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from eventstream.commands.common import committing_pipeline
from eventstream.enrich.live.clients import DefaultClients
from eventstream.enrich.live.describe import describers
from eventstream.enrich.live.outcome import Fetcher
from eventstream.enrich.live.stage import LiveCommitter
from eventstream.journal.commit import Committer
from eventstream.journal.keys import Keys
from eventstream.sources.local import FilesSource
from tests.aws.conftest import REGION, Moto
from tests.enrich.live.test_stage import _events, _journaled

ACCOUNT = "123456789012"


def record(
    service: str, name: str, request: dict[str, Any], response: Any = None, *, at: int = 0
) -> dict[str, Any]:
    """A management event of `service` (its endpoint prefix, e.g. `ec2`) by an IAM user, `at`
    seconds after 20:00 (the inventory orders one asset's changes by time, then event id)."""
    return {
        "eventVersion": "1.09",
        "eventID": str(uuid.uuid4()),
        "eventTime": f"2026-12-02T20:{at // 60:02d}:{at % 60:02d}Z",
        "eventSource": f"{service}.amazonaws.com",
        "eventName": name,
        "awsRegion": REGION,
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.15.0",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLE",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
            "accountId": ACCOUNT,
            "userName": "alice",
        },
        "requestParameters": request,
        "responseElements": response,
        "requestID": str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
    }


@asynccontextmanager
async def live_committer(
    moto: Moto,
    aredis: Redis,
    keys: Keys,
    fetchers: dict[str, Fetcher] | None = None,
    **options: Any,
) -> AsyncIterator[LiveCommitter]:
    """A `LiveCommitter` with the real describers (or `fetchers`) on moto, over the journal."""
    clients = DefaultClients(moto.endpoint)
    options.setdefault("timeout_s", 10.0)
    options.setdefault("backoff_s", 0.05)
    try:
        yield LiveCommitter(Committer(aredis, keys), fetchers or describers(), clients, **options)
    finally:
        await clients.close()


async def committed(
    live: LiveCommitter, aredis: Redis, keys: Keys, made: dict[str, Any]
) -> dict[str, Any]:
    """The one event the record `made` becomes, committed and read back from the journal."""
    events = _events(made)
    assert len(events) == 1, events
    result = await live.commit(events)
    [journaled] = await _journaled(aredis, keys, result.ids)
    return journaled


def ops(changes: list[dict[str, Any]] | None) -> set[tuple[str, str]]:
    """A JSON Patch as (op, path) pairs."""
    return {(op["op"], op["path"]) for op in changes or []}


async def replayed(settings: Any, path: Path, aredis: Redis, keys: Keys) -> list[dict[str, Any]]:
    """The events journaled by the commands' pipeline (`committing_pipeline`, as `replay`
    builds it from `settings`) from the one record in the file at `path`."""
    pipeline = committing_pipeline(
        settings,
        [FilesSource([str(path)])],
        redis=aredis,
        keys=keys,
        redis_url="redis://127.0.0.1",
        metrics=None,
        wait_for_redis=False,
    )
    totals = await pipeline.run()
    assert totals.journaled == 1
    rows: Any = await aredis.xrange(keys.journal)
    return await _journaled(aredis, keys, [row[0].decode() for row in rows])
