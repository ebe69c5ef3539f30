"""The client's REST helpers and its synchronous wrapper, against a real server over events
committed by the real commit point."""

from __future__ import annotations

import fnmatch
from typing import Any

import aiohttp
import pytest
from redis.asyncio import Redis

from eventstream.client import (
    EventStreamClient,
    NotFoundError,
    StreamOptions,
    SyncEventStreamClient,
)
from eventstream.journal.commit import Committer
from eventstream.journal.keys import Keys
from tests.serve.conftest import Journal, ServerFactory
from tests.serve.servers import RedisServer

FAST = StreamOptions(idle_timeout_s=5.0, initial_delay_s=0.05, max_delay_s=0.3)


@pytest.fixture
async def committed(
    redis_srv: RedisServer, keys: Keys, sample_events: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    client = Redis.from_url(redis_srv.url)
    try:
        await Committer(client, keys).commit(sample_events)
    finally:
        await client.aclose()
    return sample_events


async def test_asset_history_and_event(
    serve: ServerFactory, committed: list[dict[str, Any]], journal: Journal
) -> None:
    """`asset`, `history` and `event` answer what the server's own endpoints answer."""
    server = serve()
    name = max(
        {event["subject"] for event in committed},
        key=lambda subject: sum(1 for event in committed if event["subject"] == subject),
    )
    changes = [event for event in committed if event["subject"] == name]
    async with EventStreamClient(server.url) as client:
        asset = await client.asset(name)
        history = await client.history(name)
        first_id = journal.ids()[0]
        typed = await client.event(first_id)
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{server.url}/v1/events/{first_id}") as response,
        ):
            raw = await response.json()
        with pytest.raises(NotFoundError) as missing:
            await client.asset("aws/000000000000/nowhere/ec2/instance/i-missing")
    assert asset["name"] == name
    assert asset["version"] == len({event["id"] for event in changes})
    assert len(history) == len(changes)
    assert history[0]["version"] == asset["version"]  # newest first
    assert {item["event_id"] for item in history} == {event["id"] for event in changes}
    assert typed.id == first_id
    assert typed.to_dict()["id"] == raw["event"]["id"]
    assert typed.subject == raw["event"]["subject"]
    assert typed.raw == raw["event"]["data"]["raw"]
    assert missing.value.status == 404


async def test_assets_iterates_every_cursor_page(
    serve: ServerFactory, committed: list[dict[str, Any]]
) -> None:
    """`assets(...)` follows the cursor across pages and filters like the server."""
    server = serve()
    wanted = {
        event["subject"]
        for event in committed
        if fnmatch.fnmatch(event["data"]["asset"]["type"], "AWS::IAM::*")
    }
    everything = {event["subject"] for event in committed}
    async with EventStreamClient(server.url) as client:
        iam = [item["name"] async for item in client.assets(asset_types="AWS::IAM::*", page_size=3)]
        every = [item["name"] async for item in client.assets(page_size=50)]
    assert len(wanted) > 3
    assert sorted(iam) == iam
    assert set(iam) == wanted
    assert len(iam) == len(wanted)
    assert set(every) == everything


def test_sync_client_streams_and_reads(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """The synchronous wrapper streams typed events and answers REST calls without asyncio."""
    server = serve()
    ids = journal.append(sample_events[:10])
    with SyncEventStreamClient(server.url, options=FAST) as client:
        got = []
        for event in client.events(start="earliest", types=["create", "update", "delete"]):
            got.append(event)
            if len(got) == 10:
                break
        single = client.event(ids[3])
        with pytest.raises(NotFoundError):
            client.history("aws/000000000000/nowhere/ec2/instance/i-missing")
    assert [event.id for event in got] == ids
    assert [event.event.id for event in got] == [event["id"] for event in sample_events[:10]]
    assert single.event.id == sample_events[3]["id"]
    assert got[0].action.value == sample_events[0]["data"]["change"]["action"]
    assert got[0].attribution.method.value == sample_events[0]["data"]["attribution"]["method"]
