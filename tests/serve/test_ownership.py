"""Which account owns an event: the one whose trail recorded it, on every read path.

The record: account A's trail (`recipientAccountId` A, a caller of A) writes a secret of account
B (`PutSecretValue` with B's ARN). By default only A's tokens see the event; B's get nothing
(404 by id, absent from pages and streams). With `share_with_asset_account`, B's tokens see it
too, without the caller's identity; A's still see it whole.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from redis.asyncio import Redis

from eventstream import codec
from eventstream.config.serve import TokenSettings, token_hash
from eventstream.journal.commit import Committer
from eventstream.journal.keys import Keys
from eventstream.normalize.normalizer import Normalizer
from tests.conftest import corpus_dir, find_record
from tests.serve.conftest import ServerFactory
from tests.serve.servers import RedisServer, ThreadServer
from tests.serve.sse_client import SSEStream

A, B = "111111111111", "222222222222"
TOKEN_A, TOKEN_B = "token-of-account-a-0123", "token-of-account-b-0123"
TOKENS = [
    TokenSettings(name="a", sha256=token_hash(TOKEN_A), accounts=[A]),
    TokenSettings(name="b", sha256=token_hash(TOKEN_B), accounts=[B]),
]
_SECRET_EVENT = "f8dc527b-c784-4158-b0a1-ecce224f9965"  # PutSecretValue in the Invictus trail


def _cross_account_record() -> dict[str, Any]:
    record = find_record(corpus_dir() / "cloudtrail" / "invictus.jsonl", _SECRET_EVENT)
    text = codec.dumps(record).decode()
    original = record["recipientAccountId"]
    # The caller and the trail are A's; the secret's ARN names B.
    text = text.replace(f"secretsmanager:us-east-1:{original}:", f"secretsmanager:us-east-1:{B}:")
    moved: dict[str, Any] = codec.loads(text.replace(original, A))
    assert B in moved["requestParameters"]["secretId"]
    return moved


@pytest.fixture
async def cross(redis_srv: RedisServer, keys: Keys, normalizer: Normalizer) -> dict[str, Any]:
    """The cross-account event, committed by the real committer; returns it."""
    events = normalizer.normalize(_cross_account_record()).events
    assert len(events) == 1
    event = events[0]
    assert event["data"]["asset"]["account"] == B
    assert event["data"]["raw"]["recipientAccountId"] == A
    client = Redis.from_url(redis_srv.url)
    try:
        await Committer(client, keys).commit(events)
    finally:
        await client.aclose()
    return event


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _views(server: ThreadServer, token: str) -> dict[str, Any]:
    """What one token gets on every read path: page items, the entry by id, the live-less
    stream replay, the asset and its history's events."""
    async with aiohttp.ClientSession(headers=_bearer(token)) as session:
        async with session.get(f"{server.url}/v1/events?since=earliest") as response:
            assert response.status == 200
            page = await response.json()
        async with (
            aiohttp.ClientSession(headers=_bearer(TOKEN_A)) as owner,
            owner.get(f"{server.url}/v1/events?since=earliest") as response,
        ):
            journal_id = (await response.json())["items"][0]["id"]
        async with session.get(f"{server.url}/v1/events/{journal_id}") as response:
            by_id = (response.status, await response.json())
        name = page["items"][0]["event"]["subject"] if page["items"] else None
        history = None
        if name is not None:
            async with session.get(f"{server.url}/v1/assets/{name}/history") as response:
                history = (response.status, await response.json())
    async with SSEStream(f"{server.url}/v1/events?from=earliest", _bearer(token)) as stream:
        frames = await stream.drain(1.0)
    streamed = [codec.loads(f.data) for f in frames if f.data and f.event != "close"]
    return {"page": page["items"], "by_id": by_id, "stream": streamed, "history": history}


def _identity(event: dict[str, Any]) -> dict[str, Any]:
    attribution = event["data"]["attribution"]
    principal = attribution["principal"]
    return {
        "arn": principal["arn"],
        "id": principal["id"],
        "name": principal["name"],
        "ip": attribution["ip"],
        "user_agent": attribution["user_agent"],
        "assumed_role": attribution["assumed_role"],
        "session_name": attribution["session_name"],
        "raw": event["data"]["raw"],
    }


async def test_an_event_belongs_to_the_account_whose_trail_recorded_it(
    serve: ServerFactory, cross: dict[str, Any]
) -> None:
    server = serve(tokens=TOKENS)
    mine = await _views(server, TOKEN_A)
    assert [item["event"]["id"] for item in mine["page"]] == [cross["id"]]
    assert mine["by_id"][0] == 200
    assert [event["id"] for event in mine["stream"]] == [cross["id"]]
    assert _identity(mine["stream"][0]) == _identity(cross)  # whole, identity included

    theirs = await _views(server, TOKEN_B)
    assert theirs["page"] == []
    assert theirs["stream"] == []
    assert theirs["by_id"][0] == 404
    assert theirs["by_id"][1]["code"] == "event_not_found"
    # The secret is B's asset: B sees the asset, but not A's event behind its version.
    async with aiohttp.ClientSession(headers=_bearer(TOKEN_B)) as session:
        url = f"{server.url}/v1/assets/{cross['subject']}/history"
        async with session.get(url) as response:
            assert response.status == 200
            history = await response.json()
    assert [item["event"] for item in history["items"]] == [None]
    assert [item["journal_id"] for item in history["items"]] == [None]  # no id outside its scope
    # ... and A, whose token's account is not the asset's, does not see the asset.
    assert mine["history"] is not None
    assert mine["history"][0] == 404


async def test_shared_with_the_asset_account_without_the_callers_identity(
    serve: ServerFactory, cross: dict[str, Any]
) -> None:
    server = serve(tokens=TOKENS, share_with_asset_account=True)
    theirs = await _views(server, TOKEN_B)
    seen = [theirs["page"][0]["event"], theirs["by_id"][1]["event"], *theirs["stream"]]
    assert len(seen) == 3
    assert theirs["history"] is not None
    assert theirs["history"][0] == 200
    seen += [item["event"] for item in theirs["history"][1]["items"]]
    assert len(seen) == 4
    assert any(cross["data"]["attribution"][k] for k in ("ip", "user_agent"))
    assert cross["data"]["attribution"]["principal"]["arn"]
    for event in seen:
        assert event["id"] == cross["id"]
        assert _identity(event) == dict.fromkeys(_identity(event)) | {"raw": {}}
        # What is kept: the change, the asset, the method and the caller's account.
        assert event["data"]["asset"] == cross["data"]["asset"]
        assert event["data"]["change"] == cross["data"]["change"]
        assert event["data"]["attribution"]["method"] == cross["data"]["attribution"]["method"]
        assert event["data"]["attribution"]["principal"]["account"] == A
    mine = await _views(server, TOKEN_A)
    assert [_identity(event) for event in mine["stream"]] == [_identity(cross)]
    assert _identity(mine["page"][0]["event"]) == _identity(cross)


async def test_a_principal_filter_does_not_match_a_withheld_caller(
    serve: ServerFactory, cross: dict[str, Any]
) -> None:
    """B sees A's event without its caller: asking B's view for that caller (`principal=` with
    A's ARN, session or a glob of them) finds nothing, as if the caller were unknown; A's
    token, which sees the caller, finds the event by it."""
    server = serve(tokens=TOKENS, share_with_asset_account=True)
    attribution = cross["data"]["attribution"]
    guesses = [attribution["principal"]["arn"], attribution["principal"]["arn"][:20] + "*"]
    guesses += [value for value in (attribution["session_name"],) if value]
    for guess in guesses:
        query = f"principal={quote(guess, safe='')}"
        found = {}
        for name, token in (("a", TOKEN_A), ("b", TOKEN_B)):
            async with aiohttp.ClientSession(headers=_bearer(token)) as session:
                url = f"{server.url}/v1/events?since=earliest&{query}"
                async with session.get(url) as response:
                    assert response.status == 200
                    page = [item["event"]["id"] for item in (await response.json())["items"]]
            url = f"{server.url}/v1/events?from=earliest&{query}"
            async with SSEStream(url, _bearer(token)) as stream:
                frames = await stream.drain(0.5)
            streamed = [codec.loads(f.data)["id"] for f in frames if f.data and f.event != "close"]
            found[name] = (page, streamed)
        assert found["a"] == ([cross["id"]], [cross["id"]]), guess
        assert found["b"] == ([], []), guess
    # Without a principal condition B still sees the event (redacted).
    async with (
        aiohttp.ClientSession(headers=_bearer(TOKEN_B)) as session,
        session.get(f"{server.url}/v1/events?since=earliest") as response,
    ):
        assert [item["event"]["id"] for item in (await response.json())["items"]] == [cross["id"]]
