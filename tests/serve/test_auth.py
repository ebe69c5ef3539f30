"""Bearer tokens and their scopes on a real server: 401, 403, and nothing out of scope leaks."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from eventstream import codec
from eventstream.config.serve import ServeSettings, TokenSettings, token_hash
from eventstream.journal.keys import Keys
from eventstream.serve.auth import Auth
from tests.serve.conftest import Journal, ServerFactory
from tests.serve.servers import RedisServer, ThreadServer
from tests.serve.sse_client import SSEStream, ids
from tests.serve.test_sse import _wait_subscribed
from tests.serve.variants import spread

OPS, TEAM_A, TEAM_B = "ops-token-0123456789", "team-a-token-0123456789", "team-b-token-0123456789"
TOKENS = [
    TokenSettings(name="ops", sha256=token_hash(OPS), accounts=["*"]),
    TokenSettings(name="team-a", sha256=token_hash(TEAM_A), accounts=["111111111111"]),
    TokenSettings(
        name="team-b-ec2",
        sha256=token_hash(TEAM_B),
        accounts=["222222222222"],
        filter="asset_type=AWS::EC2::*",
    ),
]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _account(event: dict[str, Any]) -> str:
    account: str = event["data"]["asset"]["account"]
    return account


@pytest.fixture
def secured(serve: ServerFactory) -> ThreadServer:
    return serve(tokens=TOKENS)


async def test_missing_or_unknown_token_is_401(secured: ThreadServer, journal: Journal) -> None:
    """Every data endpoint needs a valid token; health does not."""
    some_id = journal.append([])[:1] or ["1-0"]
    async with aiohttp.ClientSession() as session:
        for path in (
            "/v1/events",
            "/v1/events?since=earliest",
            f"/v1/events/{some_id[0]}",
            "/v1/assets",
        ):
            for headers, code in (({}, "missing_token"), (_bearer("nope"), "invalid_token")):
                async with session.get(secured.url + path, headers=headers) as response:
                    assert response.status == 401, path
                    assert (await response.json())["code"] == code
                    assert response.headers["WWW-Authenticate"].startswith("Bearer")
        async with session.get(secured.url + "/healthz") as response:
            assert response.status == 200


async def test_scoped_token_never_sees_other_accounts(
    secured: ThreadServer, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """team-a gets only account 111111111111, live, replayed, resumed and over REST."""
    events = spread(sample_events[:90], 90)
    first = journal.append(events[:45])
    mine_before = [
        i for i, e in zip(first, events[:45], strict=True) if _account(e) == "111111111111"
    ]
    url = f"{secured.url}/v1/events?from=earliest"
    async with SSEStream(url, _bearer(TEAM_A)) as stream:
        replayed = await stream.collect(10, lambda f: len(ids(f)) >= len(mine_before))
        await _wait_subscribed(secured)
        second = journal.append(events[45:])
        mine_after = [
            i for i, e in zip(second, events[45:], strict=True) if _account(e) == "111111111111"
        ]
        live = await stream.collect(10, lambda f: len(ids(f)) >= len(mine_after))
        live += await stream.drain(0.3)
    assert ids(replayed) == mine_before
    assert ids(live) == mine_after
    mine = mine_before + mine_after
    async with SSEStream(
        f"{secured.url}/v1/events", {**_bearer(TEAM_A), "Last-Event-ID": first[0]}
    ) as stream:
        resumed = await stream.collect(10, lambda f: len(ids(f)) >= len(mine) - 1)
        resumed += await stream.drain(0.3)
    assert ids(resumed) == [i for i in mine if i > first[0]]
    for frame in replayed + live + resumed:
        if frame.data and frame.event != "close":
            assert _account(codec.loads(frame.data)) == "111111111111"


async def test_scoped_token_on_rest(
    secured: ThreadServer, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """Over REST, team-a's pages hold only its account; other accounts' entries are 404, as
    if missing; an explicit `account=` outside the scope is 403."""
    events = spread(sample_events[:45], 45)
    first = journal.append(events)
    mine = [i for i, e in zip(first, events, strict=True) if _account(e) == "111111111111"]
    async with aiohttp.ClientSession(headers=_bearer(TEAM_A)) as session:
        async with session.get(f"{secured.url}/v1/events?since=earliest&limit=1000") as response:
            page = await response.json()
        assert [item["id"] for item in page["items"]] == mine
        other = next(
            i for i, e in zip(first, events, strict=False) if _account(e) != "111111111111"
        )
        async with session.get(f"{secured.url}/v1/events/{other}") as response:
            assert response.status == 404  # as if missing: no existence oracle
            hidden = await response.json()
        async with session.get(f"{secured.url}/v1/events/9999999999999-0") as response:
            assert response.status == 404
            missing = await response.json()
        assert hidden["code"] == missing["code"]
        assert hidden["message"].replace(other, "ID") == missing["message"].replace(
            "9999999999999-0", "ID"
        )
        async with session.get(f"{secured.url}/v1/events/{mine[0]}") as response:
            assert response.status == 200
        async with session.get(f"{secured.url}/v1/events?account=222222222222") as response:
            assert response.status == 403
            assert (await response.json())["parameter"] == "account"


async def test_token_filter_scope_and_all_accounts(
    secured: ThreadServer, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """A token held to a filter sees only what passes it; an all-accounts token sees all."""
    events = spread(sample_events[:90], 90)
    written = journal.append(events)
    wanted = [
        i
        for i, e in zip(written, events, strict=True)
        if _account(e) == "222222222222" and e["data"]["asset"]["type"].startswith("AWS::EC2::")
    ]
    assert wanted
    async with aiohttp.ClientSession() as session:
        async with session.get(
            f"{secured.url}/v1/events?since=earliest&limit=1000", headers=_bearer(TEAM_B)
        ) as response:
            assert [item["id"] for item in (await response.json())["items"]] == wanted
        async with session.get(
            f"{secured.url}/v1/events?since=earliest&limit=1000", headers=_bearer(OPS)
        ) as response:
            assert [item["id"] for item in (await response.json())["items"]] == written


async def test_cookie_from_token_works_for_eventsource(
    secured: ThreadServer, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """POST /v1/session sets an HttpOnly cookie that authenticates the stream with its scope."""
    events = spread(sample_events[:30], 30)
    written = journal.append(events)
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        async with session.post(f"{secured.url}/v1/session", headers=_bearer(TEAM_A)) as response:
            assert response.status == 204
            cookie = response.headers["Set-Cookie"]
        async with session.post(f"{secured.url}/v1/session", headers=_bearer("wrong")) as response:
            assert response.status == 401
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
        token_cookie = {"Cookie": cookie.split(";")[0]}
    mine = [i for i, e in zip(written, events, strict=True) if _account(e) == "111111111111"]
    async with SSEStream(f"{secured.url}/v1/events?from=earliest", token_cookie) as stream:
        assert stream.status == 200
        frames = await stream.collect(10, lambda f: len(ids(f)) >= len(mine))
    assert ids(frames) == mine


def _session_cookie(response: aiohttp.ClientResponse) -> tuple[dict[str, str], str]:
    """The `Cookie` header that sends back the session a response set, and its attributes."""
    header = response.headers["Set-Cookie"]
    return {"Cookie": header.split(";")[0]}, header


async def _status(session: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> int:
    async with session.get(url, headers=headers) as response:
        return response.status


async def test_session_cookie_is_an_opaque_revocable_id(
    serve: ServerFactory, redis_srv: RedisServer, keys: Keys
) -> None:
    """The cookie is not the token; DELETE revokes it everywhere at once; the cookie alone
    cannot open a new session; removing the token from the configuration ends its sessions."""
    server = serve(tokens=TOKENS)
    url = f"{server.url}/v1/assets"
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{server.url}/v1/session", headers=_bearer(TEAM_A)) as response:
            assert response.status == 204
            cookie, attributes = _session_cookie(response)
        assert TEAM_A not in attributes
        assert token_hash(TEAM_A) not in attributes
        assert "Secure" not in attributes  # the test server listens on loopback
        assert await _status(session, url, cookie) == 200
        stored = redis_srv.client().keys(f"{keys.tag}:session:*")
        assert len(stored) == 1
        async with session.post(f"{server.url}/v1/session", headers=cookie) as response:
            assert response.status == 401  # re-issuing needs the bearer token
        async with session.delete(f"{server.url}/v1/session", headers=cookie) as response:
            assert response.status == 204
        assert await _status(session, url, cookie) == 401
        assert redis_srv.client().keys(f"{keys.tag}:session:*") == []
    # The same Redis, a configuration without team-a: its open sessions end.
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{server.url}/v1/session", headers=_bearer(TEAM_A)) as response:
            cookie, _ = _session_cookie(response)
        without = serve(tokens=[t for t in TOKENS if t.name != "team-a"])
        assert await _status(session, f"{without.url}/v1/assets", cookie) == 401
        assert await _status(session, url, cookie) == 200


def test_session_cookie_is_secure_unless_on_loopback() -> None:
    assert Auth(ServeSettings(host="0.0.0.0", tokens=TOKENS)).secure
    assert not Auth(ServeSettings(host="127.0.0.1", tokens=TOKENS)).secure
    assert Auth(ServeSettings(host="127.0.0.1", cookie_secure=True, tokens=TOKENS)).secure
    assert not Auth(ServeSettings(host="0.0.0.0", cookie_secure=False, tokens=TOKENS)).secure
    over_tls = ServeSettings(
        host="127.0.0.1", tls_cert_file="c.pem", tls_key_file="k.pem", tokens=TOKENS
    )
    assert Auth(over_tls).secure


async def test_metrics_can_require_a_token_allowed_to_read_them(serve: ServerFactory) -> None:
    scraper = "scraper-token-0123456789"
    tokens = [
        *TOKENS,
        TokenSettings(name="prom", sha256=token_hash(scraper), accounts=["*"], metrics=True),
    ]
    open_server = serve(tokens=tokens)
    gated = serve(tokens=tokens, metrics_require_token=True)
    async with aiohttp.ClientSession() as session:
        assert await _status(session, f"{open_server.url}/metrics", {}) == 200
        assert await _status(session, f"{gated.url}/metrics", {}) == 401
        assert await _status(session, f"{gated.url}/metrics", _bearer(OPS)) == 403
        assert await _status(session, f"{gated.url}/metrics", _bearer(scraper)) == 200
