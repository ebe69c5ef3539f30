"""No positions of other accounts' data reach a scoped client: pages' `next`/`last`, a live
stream's first id, `reset` positions and the inventory's cursor are sealed for it (and still
work when sent back); an unscoped client keeps plain stream ids."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import aiohttp
import pytest

from eventstream.journal import streamid
from eventstream.serve.cursor import Cursors, is_sealed
from tests.serve.conftest import Journal, ServerFactory
from tests.serve.sse_client import SSEStream, ids
from tests.serve.test_auth import OPS, TEAM_A, TOKENS, _bearer
from tests.serve.test_sse import _wait_subscribed
from tests.serve.variants import spread

STREAM_ID = re.compile(r"^[0-9]+-[0-9]+$")


def test_sealed_cursors_round_trip_and_refuse_tampering() -> None:
    cursors = Cursors(b"k" * 32)
    sealed = cursors.seal("1700000000000-5")
    assert is_sealed(sealed)
    assert "1700000000000" not in sealed
    assert cursors.open(sealed) == "1700000000000-5"
    assert cursors.seal("1700000000000-5") != sealed  # a fresh nonce each time
    flipped = sealed[:-3] + ("A" if sealed[-3] != "A" else "B") + sealed[-2:]
    for bad in (flipped, sealed[:-4], "c1.", "c1.!!!!", sealed + "AA"):
        with pytest.raises(ValueError, match="cursor"):
            cursors.open(bad)
    with pytest.raises(ValueError, match="not issued by this deployment"):
        Cursors(b"x" * 32).open(sealed)


async def test_a_scoped_page_shows_only_its_ids_or_sealed_cursors(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    server = serve(tokens=TOKENS)
    events = spread(sample_events[:30], 30)
    written = journal.append(events)
    other = {
        i
        for i, e in zip(written, events, strict=True)
        if e["data"]["asset"]["account"] != "111111111111"
    }
    assert written[-1] in other  # the journal's newest entry is another account's
    async with aiohttp.ClientSession(headers=_bearer(TEAM_A)) as session:
        seen: list[str] = []
        url = f"{server.url}/v1/events?since=earliest&limit=4"
        for _ in range(30):
            async with session.get(url) as response:
                page = await response.json()
            seen += [item["id"] for item in page["items"]]
            for position in (page["last"], page["next"]):
                assert position is None or is_sealed(position), position
            if page["next"] is None:
                break
            url = f"{server.url}/v1/events?since={page['next']}&limit=4"
        assert seen == [i for i in written if i not in other]
        tampered = page["last"][:-2] + ("AA" if not page["last"].endswith("AA") else "BB")
        async with session.get(f"{server.url}/v1/events?since={tampered}") as response:
            assert response.status == 400
            assert (await response.json())["parameter"] == "since"
    async with aiohttp.ClientSession(headers=_bearer(OPS)) as session:
        async with session.get(f"{server.url}/v1/events?since=earliest") as response:
            page = await response.json()
        assert STREAM_ID.match(page["last"])  # unscoped: plain ids


async def test_a_scoped_live_stream_starts_at_a_sealed_position_that_resumes(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    server = serve(tokens=TOKENS)
    events = spread(sample_events[:12], 12)
    last = journal.append(events)[-1]
    for _ in range(200):  # the head is the broker's position: let it reach the last entry
        if server.services.broker.cursor == streamid.parse(last):
            break
        await asyncio.sleep(0.01)
    async with SSEStream(f"{server.url}/v1/events", _bearer(TEAM_A)) as stream:
        head = await stream.collect(5, bool, events_only=False)
    assert head[0].id is not None
    assert is_sealed(head[0].id)
    later = spread(sample_events[12:24], 12)
    written = journal.append(later)
    mine = [
        i
        for i, e in zip(written, later, strict=True)
        if e["data"]["asset"]["account"] == "111111111111"
    ]
    headers = {**_bearer(TEAM_A), "Last-Event-ID": head[0].id}
    async with SSEStream(f"{server.url}/v1/events", headers) as stream:
        frames = await stream.collect(10, lambda f: len(ids(f)) >= len(mine))
        await _wait_subscribed(server)
        frames += await stream.drain(0.3)
    assert ids(frames) == mine
    async with SSEStream(f"{server.url}/v1/events", _bearer(OPS)) as stream:
        head = await stream.collect(5, bool, events_only=False)
    assert head[0].id is not None
    assert STREAM_ID.match(head[0].id)


async def test_a_scoped_reset_position_is_sealed(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    server = serve(tokens=TOKENS)
    journal.append(spread(sample_events[:6], 6))
    headers = {**_bearer(TEAM_A), "Last-Event-ID": "99999999999999-0"}
    async with SSEStream(f"{server.url}/v1/events", headers) as stream:
        frames = await stream.collect(10, lambda f: any(x.event == "reset" for x in f))
    reset = next(frame for frame in frames if frame.event == "reset")
    assert reset.id is not None
    assert is_sealed(reset.id)
    assert reset.data is not None
    assert "resume_after" in reset.data
    assert re.search(r'"resume_after":"c1\.', reset.data)


async def test_a_scoped_client_cannot_find_the_newest_entry_by_guessing_ids(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """A reset for an id ahead of the journal would tell a scoped client that the newest entry
    (perhaps another account's) is older than its guess: for it, ids up to the present resume
    as they are, with no reset, on streams and pages, and the stream goes on live; an id in
    the future still gets its reset. An unscoped client keeps the reset for any id ahead."""
    server = serve(tokens=TOKENS)
    old = [f"1700000000000-{n}" for n in range(1, 7)]  # in 2023: every guess is in the past
    written = journal.append(spread(sample_events[:6], 6), old)
    newest = streamid.parse(written[-1])
    guesses = [f"{newest[0]}-{newest[1] + 1}", f"{newest[0] + 1000}-0", f"{newest[0] + 5000}-0"]
    for guess in guesses:
        headers = {**_bearer(TEAM_A), "Last-Event-ID": guess}
        async with SSEStream(f"{server.url}/v1/events", headers) as stream:
            frames = await stream.drain(0.5)
        assert [frame.event for frame in frames if frame.event] == [], guess
        async with (
            aiohttp.ClientSession(headers=_bearer(TEAM_A)) as session,
            session.get(f"{server.url}/v1/events?since={guess}") as response,
        ):
            page = await response.json()
        assert "reset" not in page, guess
        assert page["items"] == []
        async with (
            aiohttp.ClientSession(headers=_bearer(OPS)) as session,
            session.get(f"{server.url}/v1/events?since={guess}") as response,
        ):
            assert "reset" in await response.json(), guess
    headers = {**_bearer(TEAM_A), "Last-Event-ID": guesses[-1]}
    async with SSEStream(f"{server.url}/v1/events", headers) as stream:
        await _wait_subscribed(server)
        later = spread(sample_events[6:18], 12)
        more = journal.append(later)
        mine = [
            i
            for i, e in zip(more, later, strict=True)
            if e["data"]["asset"]["account"] == "111111111111"
        ]
        assert mine
        frames = await stream.collect(10, lambda f: len(ids(f)) >= len(mine))
    assert ids(frames) == mine
    future = {**_bearer(TEAM_A), "Last-Event-ID": "99999999999999-0"}
    async with SSEStream(f"{server.url}/v1/events", future) as stream:
        frames = await stream.collect(10, lambda f: any(x.event == "reset" for x in f))
    assert any(frame.event == "reset" for frame in frames)
