"""REST over the inventory on a real server, after real corpus events went through the real
commit point: listing with cursors and filters, one asset, its history, errors and scopes."""

from __future__ import annotations

import copy
import fnmatch
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from redis.asyncio import Redis

from eventstream import codec
from eventstream.config import InventorySettings
from eventstream.config.serve import TokenSettings, token_hash
from eventstream.journal.commit import Committer
from eventstream.journal.keys import Keys
from tests.serve.conftest import ServerFactory
from tests.serve.servers import RedisServer

ACCOUNT = "123837392027"  # the Invictus trail's account
DEPTH = InventorySettings().history_depth
RANKS = {"create": 0, "update": 1, "delete": 2}
MINE, OTHER, ROLES = "mine-token-0123456789", "other-token-0123456789", "roles-token-0123456789"
TOKENS = [
    TokenSettings(name="mine", sha256=token_hash(MINE), accounts=[ACCOUNT]),
    TokenSettings(name="other", sha256=token_hash(OTHER), accounts=["111111111111"]),
    TokenSettings(
        name="roles", sha256=token_hash(ROLES), accounts=["*"], filter="asset_type=AWS::IAM::Role"
    ),
]


def _position(event: dict[str, Any]) -> tuple[str, int, str]:
    return (event["time"], RANKS[event["data"]["change"]["action"]], event["id"])


@dataclass
class Expected:
    """What the inventory must hold for one asset, folded here from its events."""

    name: str
    events: list[dict[str, Any]]  # in position order

    @property
    def newest(self) -> dict[str, Any]:
        return self.events[-1]

    @property
    def action(self) -> str:
        action: str = self.newest["data"]["change"]["action"]
        return action

    @property
    def asset(self) -> dict[str, Any]:
        asset: dict[str, Any] = self.newest["data"]["asset"]
        return asset

    def configuration(self) -> Any:
        """The configuration known after the newest event (`enrich.inventory` semantics)."""
        return self.configurations()[-1] if self.events else None

    def configurations(self) -> list[Any]:
        """The configuration known after each event, in order: an event's configuration
        replaces the known one, or, when it is a part (`event_partial`), is merged over it."""
        known: Any = None
        deleted = False
        found: list[Any] = []
        for event in self.events:
            configuration = event["data"]["configuration"]
            action = event["data"]["change"]["action"]
            new_life = action == "create" and deleted
            if new_life:
                known = None
            if configuration is not None:
                partial = event["data"]["configuration_source"] == "event_partial"
                known = {**known, **configuration} if partial and known else configuration
            deleted = action == "delete"
            found.append(known)
        return found


@dataclass
class Committed:
    keys: Keys
    assets: dict[str, Expected]

    def names(self, keep: Any = None) -> list[str]:
        """Asset names in the index's order (bytewise), optionally only those `keep` accepts."""
        chosen = [e.name for e in self.assets.values() if keep is None or keep(e)]
        return sorted(chosen, key=str.encode)


@pytest.fixture
async def committed(
    redis_srv: RedisServer, keys: Keys, sample_events: list[dict[str, Any]]
) -> Committed:
    """The sample events committed under this test's prefix by the real committer."""
    client = Redis.from_url(redis_srv.url)
    try:
        result = await Committer(client, keys).commit(sample_events)
    finally:
        await client.aclose()
    by_subject: dict[str, list[dict[str, Any]]] = {}
    for event in sample_events:
        by_subject.setdefault(event["subject"], []).append(event)
    assets = {
        name: Expected(name, sorted(events, key=_position)) for name, events in by_subject.items()
    }
    assert result.journaled == len({event["id"] for event in sample_events})
    assert len(assets) > 50
    return Committed(keys, assets)


async def _get(
    session: aiohttp.ClientSession, url: str, token: str | None = None
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with session.get(url, headers=headers) as response:
        return response.status, codec.loads(await response.read())


def _asset_url(base: str, name: str, suffix: str = "") -> str:
    return f"{base}/v1/assets/{quote(name, safe='/')}{suffix}"


async def _walk(
    session: aiohttp.ClientSession, base: str, query: str, token: str | None = None
) -> tuple[list[str], list[int]]:
    """Every page of `/v1/assets?<query>` by cursor: the names in order and the page sizes."""
    names: list[str] = []
    sizes: list[int] = []
    url = f"{base}/v1/assets?{query}"
    for _page in range(200):
        status, page = await _get(session, url, token)
        assert status == 200, page
        names += [item["name"] for item in page["items"]]
        sizes.append(len(page["items"]))
        if page["next"] is None:
            return names, sizes
        # A scoped token's cursor is sealed (it may name an asset outside its scope).
        assert page["next"].startswith("c1.") == (token is not None), page["next"]
        url = f"{base}/v1/assets?{query}&cursor={quote(page['next'], safe='')}"
    raise AssertionError(f"more than 200 pages for {query}")


async def test_walk_every_page_by_cursor(serve: ServerFactory, committed: Committed) -> None:
    """Pages of 7 in name order; following `next` visits every asset once, then null."""
    server = serve()
    async with aiohttp.ClientSession() as session:
        names, sizes = await _walk(session, server.url, "limit=7")
    assert names == committed.names()
    assert len(set(names)) == len(names)
    assert all(size <= 7 for size in sizes)
    assert sizes[:-1] == [7] * (len(sizes) - 1)
    assert len(sizes) == -(-len(names) // 7)


@pytest.mark.parametrize(
    ("query", "keep"),
    [
        ("asset_type=AWS::IAM::*", lambda e: fnmatch.fnmatchcase(e.asset["type"], "AWS::IAM::*")),
        ("asset_type=AWS::IAM::Role", lambda e: e.asset["type"] == "AWS::IAM::Role"),
        ("asset_type=AWS::IAM::Role,AWS::Lambda::*", lambda e: e.asset["type"] == "AWS::IAM::Role"
         or fnmatch.fnmatchcase(e.asset["type"], "AWS::Lambda::*")),
        (f"account={ACCOUNT}", lambda e: True),
        ("account=111111111111", lambda e: False),
        (f"subject_prefix=aws/{ACCOUNT}/global/iam/role/",
         lambda e: e.name.startswith(f"aws/{ACCOUNT}/global/iam/role/")),
        (f"subject_prefix=aws/{ACCOUNT}/global/iam/role/,aws/{ACCOUNT}/us-east-1/",
         lambda e: e.name.startswith(
             (f"aws/{ACCOUNT}/global/iam/role/", f"aws/{ACCOUNT}/us-east-1/"))),
        ("type=delete", lambda e: e.action == "delete"),
        ("type=create,update", lambda e: e.action in ("create", "update")),
        ("deleted=true", lambda e: e.action == "delete"),
        ("deleted=false", lambda e: e.action != "delete"),
        ("deleted=false&type=create&asset_type=AWS::IAM::*",
         lambda e: e.action == "create" and e.asset["type"].startswith("AWS::IAM::")),
    ],
)  # fmt: skip
async def test_filters(serve: ServerFactory, committed: Committed, query: str, keep: Any) -> None:
    """Each filter lists exactly the assets it selects, in name order, across pages."""
    server = serve()
    async with aiohttp.ClientSession() as session:
        one_page, _ = await _walk(session, server.url, f"{query}&limit=1000")
        paged, _ = await _walk(session, server.url, f"{query}&limit=3")
    assert one_page == committed.names(keep)
    assert paged == one_page


async def test_filters_select_something(committed: Committed) -> None:
    """The corpus exercises the filters: both values of each are present."""
    actions = {e.action for e in committed.assets.values()}
    assert {"create", "update", "delete"} <= actions
    types = {e.asset["type"] for e in committed.assets.values()}
    assert "AWS::IAM::Role" in types
    assert any(t.startswith("AWS::Lambda::") for t in types)
    assert any(not t.startswith("AWS::IAM::") for t in types)


async def test_bad_list_parameters(serve: ServerFactory, committed: Committed) -> None:
    server = serve()
    async with aiohttp.ClientSession() as session:
        for query, parameter, code in (
            ("colour=red", "colour", "unknown_parameter"),
            ("method=console", "method", "unknown_parameter"),
            ("principal=bert-jan", "principal", "unknown_parameter"),
            ("since=earliest", "since", "unknown_parameter"),
            ("deleted=maybe", "deleted", "bad_filter"),
            ("limit=0", "limit", "bad_limit"),
            ("limit=1001", "limit", "bad_limit"),
            ("type=destroy", "type", "bad_filter"),
        ):
            status, error = await _get(session, f"{server.url}/v1/assets?{query}")
            assert status == 400, query
            assert error["parameter"] == parameter, query
            assert error["code"] == code, query
            assert error["message"]


async def test_one_asset_document(serve: ServerFactory, committed: Committed) -> None:
    """GET /v1/assets/{name} (a name with slashes) gives the folded current state."""
    server = serve()
    async with aiohttp.ClientSession() as session:
        for expected in committed.assets.values():
            status, document = await _get(session, _asset_url(server.url, expected.name))
            assert status == 200, document
            assert document["name"] == expected.name
            assert document["asset"] == expected.asset
            assert document["version"] == len(expected.events)
            assert document["deleted"] == (expected.action == "delete")
            assert document["last_action"] == expected.action
            assert document["last_event_id"] == expected.newest["id"]
            assert document["time"] == expected.newest["time"]
            assert document["configuration"] == expected.configuration()
        assert any(e.configuration() is not None for e in committed.assets.values())


async def test_unknown_asset_is_404(serve: ServerFactory, committed: Committed) -> None:
    server = serve()
    name = f"aws/{ACCOUNT}/global/iam/role/no-such-role"
    async with aiohttp.ClientSession() as session:
        for url in (_asset_url(server.url, name), _asset_url(server.url, name, "/history")):
            status, error = await _get(session, url)
            assert status == 404
            assert error["code"] == "asset_not_found"
            assert name in error["message"]
        some = next(iter(committed.assets))
        status, error = await _get(session, _asset_url(server.url, some) + "?colour=red")
        assert (status, error["parameter"]) == (400, "colour")


async def test_history_newest_first_with_events(serve: ServerFactory, committed: Committed) -> None:
    """Every kept version, newest first, with its journal id and the event that made it."""
    server = serve()
    async with aiohttp.ClientSession() as session:
        for expected in committed.assets.values():
            url = _asset_url(server.url, expected.name, "/history")
            status, page = await _get(session, url)
            assert status == 200, page
            assert page["next"] is None
            assert page["asset"]["name"] == expected.name
            items = page["items"]
            count = len(expected.events)
            assert [item["version"] for item in items] == list(
                range(count, max(0, count - DEPTH), -1)
            )
            kept = list(reversed(expected.events))[: len(items)]
            known = dict(
                zip([e["id"] for e in expected.events], expected.configurations(), strict=True)
            )
            assert [item["event_id"] for item in items] == [event["id"] for event in kept]
            for item, event in zip(items, kept, strict=True):
                assert item["journal_id"] is not None
                assert item["event"]["id"] == item["event_id"]
                assert item["event"]["subject"] == expected.name
                assert item["action"] == event["data"]["change"]["action"]
                assert item["deleted"] == (item["action"] == "delete")
                assert item["configuration_from_event"] == (
                    event["data"]["configuration"] is not None
                )
                if event["data"]["configuration"] is not None:
                    assert item["configuration"] == known[event["id"]]
                    assert item["event"]["data"]["configuration"] == event["data"]["configuration"]
            assert items[0]["event_id"] == page["asset"]["last_event_id"]
    many = [e for e in committed.assets.values() if len(e.events) > 1]
    assert many  # some asset has more than one version


async def test_history_journal_ids_point_at_the_entries(
    serve: ServerFactory, committed: Committed
) -> None:
    """A version's journal_id is the id of its event's journal entry (GET /v1/events/{id})."""
    server = serve()
    expected = max(committed.assets.values(), key=lambda e: len(e.events))
    async with aiohttp.ClientSession() as session:
        _, page = await _get(session, _asset_url(server.url, expected.name, "/history"))
        for item in page["items"]:
            status, entry = await _get(session, f"{server.url}/v1/events/{item['journal_id']}")
            assert status == 200
            assert entry["id"] == item["journal_id"]
            assert entry["event"] == item["event"]


async def test_scoped_tokens(serve: ServerFactory, committed: Committed) -> None:
    """A token of another account sees nothing and gets 404 by name (as if missing: no
    existence oracle); its own account sees all; a filter-held token sees only what passes its
    filter."""
    server = serve(tokens=TOKENS)
    role = next(e for e in committed.assets.values() if e.asset["type"] == "AWS::IAM::Role")
    not_role = next(e for e in committed.assets.values() if e.asset["type"] != "AWS::IAM::Role")
    async with aiohttp.ClientSession() as session:
        status, _ = await _get(session, f"{server.url}/v1/assets")
        assert status == 401

        names, _ = await _walk(session, server.url, "limit=1000", OTHER)
        assert names == []
        for suffix in ("", "/history"):
            status, error = await _get(session, _asset_url(server.url, role.name, suffix), OTHER)
            assert (status, error["code"]) == (404, "asset_not_found")
        status, error = await _get(session, f"{server.url}/v1/assets?account={ACCOUNT}", OTHER)
        assert (status, error["parameter"]) == (403, "account")

        names, _ = await _walk(session, server.url, "limit=50", MINE)
        assert names == committed.names()
        status, document = await _get(session, _asset_url(server.url, role.name), MINE)
        assert (status, document["name"]) == (200, role.name)

        names, _ = await _walk(session, server.url, "limit=5", ROLES)
        assert names == committed.names(lambda e: e.asset["type"] == "AWS::IAM::Role")
        status, _ = await _get(session, _asset_url(server.url, role.name, "/history"), ROLES)
        assert status == 200
        status, error = await _get(session, _asset_url(server.url, not_role.name), ROLES)
        assert (status, error["code"]) == (404, "asset_not_found")


ROLES_PREFIX = f"aws/{ACCOUNT}/global/iam/role/"
REGION_PREFIX = f"aws/{ACCOUNT}/us-east-1/"


async def test_repeated_subject_prefix_values_are_alternatives(
    serve: ServerFactory, committed: Committed
) -> None:
    """`subject_prefix=A&subject_prefix=B` lists the same assets as `subject_prefix=A,B`: as
    for every filter parameter (`filters._values`), repeated values are alternatives."""
    server = serve()
    wanted = committed.names(lambda e: e.name.startswith((ROLES_PREFIX, REGION_PREFIX)))
    assert committed.names(lambda e: e.name.startswith(ROLES_PREFIX))
    assert committed.names(lambda e: e.name.startswith(REGION_PREFIX))
    async with aiohttp.ClientSession() as session:
        joined, _ = await _walk(
            session, server.url, f"subject_prefix={ROLES_PREFIX},{REGION_PREFIX}&limit=1000"
        )
        assert joined == wanted
        for first, second in ((ROLES_PREFIX, REGION_PREFIX), (REGION_PREFIX, ROLES_PREFIX)):
            query = f"subject_prefix={first}&subject_prefix={second}&limit=1000"
            listed, _ = await _walk(session, server.url, query)
            assert listed == wanted, query


async def test_spaces_around_subject_prefix_are_ignored(
    serve: ServerFactory, committed: Committed
) -> None:
    """The filter strips spaces around each value (`filters._values`); the listing agrees,
    with one prefix as with several."""
    server = serve()
    roles = committed.names(lambda e: e.name.startswith(ROLES_PREFIX))
    both = committed.names(lambda e: e.name.startswith((ROLES_PREFIX, REGION_PREFIX)))
    async with aiohttp.ClientSession() as session:
        listed, _ = await _walk(
            session, server.url, f"subject_prefix=%20{ROLES_PREFIX},{REGION_PREFIX}&limit=1000"
        )
        assert listed == both
        listed, _ = await _walk(session, server.url, f"subject_prefix=%20{ROLES_PREFIX}&limit=9")
        assert listed == roles


async def test_an_asset_named_history_is_reachable_by_its_encoded_name(
    serve: ServerFactory, redis_srv: RedisServer, keys: Keys, sample_events: list[dict[str, Any]]
) -> None:
    """An IAM role named `history`: its name as one encoded segment reaches the asset, and
    `/history` after it the asset's history; a role `reports` beside it resolves both ways."""
    role = next(e for e in sample_events if e["data"]["asset"]["type"] == "AWS::IAM::Role")
    base = role["subject"].rsplit("/", 1)[0]
    made = []
    for leaf in ("history", "reports"):
        event = copy.deepcopy(role)
        name = f"{base}/{leaf}"
        event["subject"] = event["data"]["asset"]["name"] = name
        event["id"] = f"{event['id']}-{leaf}"
        made.append(event)
    client = Redis.from_url(redis_srv.url)
    try:
        await Committer(client, keys).commit(made)
    finally:
        await client.aclose()
    server = serve()
    async with aiohttp.ClientSession() as session:
        for event in made:
            encoded = f"{server.url}/v1/assets/{quote(event['subject'], safe='')}"
            status, document = await _get(session, encoded)
            assert (status, document.get("name")) == (200, event["subject"])
            status, page = await _get(session, encoded + "/history")
            assert status == 200
            assert page["asset"]["name"] == event["subject"]
            assert [item["event_id"] for item in page["items"]] == [event["id"]]
        # With its slashes as they are, `reports` works both ways, as it always did.
        status, document = await _get(session, _asset_url(server.url, made[1]["subject"]))
        assert (status, document["name"]) == (200, made[1]["subject"])
        status, page = await _get(session, _asset_url(server.url, made[1]["subject"], "/history"))
        assert (status, page["asset"]["name"]) == (200, made[1]["subject"])
