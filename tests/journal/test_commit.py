"""The commit point against a real redis-server: enrichment, ordering, dedup, concurrency."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from redis.asyncio import Redis

from eventstream import codec
from eventstream.config import InventorySettings, JournalSettings
from eventstream.enrich.inventory import Version
from eventstream.journal.assets import AssetStore
from eventstream.journal.commit import Committer
from eventstream.journal.keys import Keys
from eventstream.normalize.normalizer import Normalizer
from tests.conftest import corpus_dir, read_jsonl
from tests.serve.servers import RedisServer

LAMBDA = "aws/123837392027/us-east-1/lambda/function/stratus-red-team-olc-func-xhfgzaowxc"
ROLE = "aws/123837392027/global/iam/role/stratus-red-team-backdoor-r-role"


@pytest.fixture(scope="module")
def invictus_events(normalizer: Normalizer) -> list[dict[str, Any]]:
    """Every asset event of the public Invictus trail, in file order (not time order)."""
    events: list[dict[str, Any]] = []
    for record in read_jsonl(corpus_dir() / "cloudtrail" / "invictus.jsonl"):
        events.extend(normalizer.normalize(record).events)
    return events


def of_subject(events: list[dict[str, Any]], subject: str) -> list[dict[str, Any]]:
    chosen = [event for event in events if event["subject"] == subject]
    return sorted(chosen, key=lambda event: (event["time"], event["data"]["change"]["action"]))


async def entries(redis: Redis, key: str, low: str = "-", high: str = "+") -> list[Any]:
    """XRANGE rows: (id bytes, fields dict of bytes)."""
    rows: list[Any] = await redis.xrange(key, low, high)  # type: ignore[assignment]
    return rows


async def journal(redis: Redis, keys: Keys) -> list[dict[str, Any]]:
    return [codec.loads(fields[b"event"]) for _, fields in await entries(redis, keys.journal)]


async def inventory(redis: Redis, keys: Keys) -> dict[str, tuple[Any, ...]]:
    """Every asset's current state, comparable across runs."""
    store = AssetStore(redis, keys)
    names = await store.names(None, 100_000)
    found = {}
    for name, state in zip(names, await store.many(names), strict=True):
        assert state is not None
        current = state.current
        config = codec.loads(current.config) if current.config else None
        found[name] = (state.version, current.eid, current.deleted, config, state.asset)
    return found


def apply_patch(document: Any, patch: list[dict[str, Any]]) -> Any:
    """RFC 6902 add/remove/replace, enough to check the committer's `changes`."""
    document = codec.loads(codec.dumps(document))
    for operation in patch:
        *parents, last = [
            part.replace("~1", "/").replace("~0", "~") for part in operation["path"].split("/")[1:]
        ]
        target = document
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        key: Any = int(last) if isinstance(target, list) else last
        if operation["op"] == "remove":
            del target[key]
        elif operation["op"] == "add" and isinstance(target, list):
            target.insert(key, operation["value"])
        else:
            target[key] = operation["value"]
    return document


async def test_create_update_update_delete_gets_previous_configurations_and_patches(
    aredis: Redis, keys: Keys, invictus_events: list[dict[str, Any]]
) -> None:
    """A real Lambda function's life: each event's previous configuration is the one before
    it, `changes` turns one into the other, and the delete carries what was lost."""
    life = of_subject(invictus_events, LAMBDA)
    actions = [event["data"]["change"]["action"] for event in life]
    assert actions == ["create", "update", "update", "delete"]
    committer = Committer(aredis, keys)
    for event in life:  # one at a time, as a live source delivers them
        result = await committer.commit([event])
        assert result.journaled == 1
    journaled = await journal(aredis, keys)
    assert [event["id"] for event in journaled] == [event["id"] for event in life]
    configs = [event["data"]["configuration"] for event in life]
    assert all(config is not None for config in configs[:3])
    create, first, second, delete = (event["data"] for event in journaled)
    assert create["previous_configuration"] is None
    assert create["changes"] is None
    assert first["previous_configuration"] == configs[0]
    assert second["previous_configuration"] == configs[1]
    for data, before in ((first, configs[0]), (second, configs[1])):
        assert data["changes"], "the function code changed, so the patch is not empty"
        assert apply_patch(before, data["changes"]) == data["configuration"]
    assert delete["configuration"] is None
    assert delete["previous_configuration"] == configs[2]  # what the delete just lost
    state = await AssetStore(aredis, keys).get(LAMBDA)
    assert state is not None
    assert state.version == 4
    assert state.current.deleted
    assert state.current.config is not None
    assert codec.loads(state.current.config) == configs[2]


async def test_same_events_twice_and_shuffled_give_one_journal_and_one_inventory(
    aredis: Redis, invictus_events: list[dict[str, Any]]
) -> None:
    in_order = Keys(prefix="order-" + str(random.getrandbits(40)))
    shuffled_keys = Keys(prefix="shuffled-" + str(random.getrandbits(40)))
    committer = Committer(aredis, in_order, JournalSettings(batch_size=50))
    first = await committer.commit(invictus_events)
    assert first.journaled == len({event["id"] for event in invictus_events})
    again = await committer.commit(invictus_events)
    assert again.journaled == 0
    assert again.duplicates == len(invictus_events)

    shuffled = list(invictus_events)
    random.Random(7).shuffle(shuffled)
    other = Committer(aredis, shuffled_keys, JournalSettings(batch_size=13))
    for start in range(0, len(shuffled), 41):  # arriving in small, out-of-order deliveries
        await other.commit(shuffled[start : start + 41])

    ordered, mixed = await journal(aredis, in_order), await journal(aredis, shuffled_keys)
    assert len(ordered) == len(mixed) == first.journaled
    assert {e["id"] for e in ordered} == {e["id"] for e in mixed}
    strip = ("previous_configuration", "changes")  # known at commit time: order-dependent
    core = {e["id"]: {k: v for k, v in e["data"].items() if k not in strip} for e in ordered}
    assert core == {e["id"]: {k: v for k, v in e["data"].items() if k not in strip} for e in mixed}
    assert await inventory(aredis, in_order) == await inventory(aredis, shuffled_keys)


async def test_an_older_event_keeps_newer_state_and_gets_the_previous_of_its_time(
    aredis: Redis, keys: Keys, invictus_events: list[dict[str, Any]]
) -> None:
    """The second code update arrives last (an S3 export lagging EventBridge)."""
    create, first, second, delete = of_subject(invictus_events, LAMBDA)
    committer = Committer(aredis, keys)
    for event in (create, second, delete):
        await committer.commit([event])
    late = await committer.commit([first])
    assert late.journaled == 1
    entry = (await journal(aredis, keys))[-1]
    assert entry["id"] == first["id"]
    assert entry["data"]["previous_configuration"] == create["data"]["configuration"]
    state = await AssetStore(aredis, keys).get(LAMBDA)
    assert state is not None
    assert state.current.eid == delete["id"], "the newest event still defines the state"
    assert state.current.deleted
    assert state.version == 4
    assert state.current.config is not None
    assert codec.loads(state.current.config) == second["data"]["configuration"]
    history = await AssetStore(aredis, keys).history(LAMBDA)
    assert history is not None
    assert [record.version.eid for record in history] == [
        delete["id"],
        second["id"],
        first["id"],
        create["id"],
    ]
    assert all(record.journal_id is not None and record.event for record in history)


async def test_an_update_arriving_before_its_create_is_folded_in(
    aredis: Redis, keys: Keys, invictus_events: list[dict[str, Any]]
) -> None:
    """The role's create (with its configuration) arrives after its updates: the state still
    ends with the configuration the create brought, with the trust policy the updates set
    (`event_partial`) merged over it, as if they had arrived in order."""
    life = of_subject(invictus_events, ROLE)
    create = life[0]
    assert create["data"]["change"]["action"] == "create"
    expected = dict(create["data"]["configuration"])
    for update in life[1:3]:
        if update["data"]["configuration_source"] == "event_partial":
            expected.update(update["data"]["configuration"])
    assert expected != create["data"]["configuration"], "an update sets the trust policy"
    committer = Committer(aredis, keys)
    await committer.commit(life[1:3])
    await committer.commit([create])
    state = await AssetStore(aredis, keys).get(ROLE)
    assert state is not None
    assert state.current.eid == life[2]["id"]
    assert state.current.config is not None
    assert codec.loads(state.current.config) == expected
    assert state.version == 3


async def test_a_trust_policy_update_changes_just_the_policy(
    aredis: Redis, keys: Keys, invictus_events: list[dict[str, Any]]
) -> None:
    """In order, the role's trust-policy update (`event_partial`) is journaled with the role's
    configuration before it as previous, and a patch that touches only the policy."""
    life = of_subject(invictus_events, ROLE)
    index = next(
        i for i, e in enumerate(life) if e["data"]["configuration_source"] == "event_partial"
    )
    committer = Committer(aredis, keys)
    for event in life[: index + 1]:
        await committer.commit([event])
    entry = (await journal(aredis, keys))[-1]
    assert entry["id"] == life[index]["id"]
    assert entry["data"]["previous_configuration"] == life[0]["data"]["configuration"]
    (key,) = life[index]["data"]["configuration"]
    assert [op["path"] for op in entry["data"]["changes"]] == [f"/{key}"]
    state = await AssetStore(aredis, keys).get(ROLE)
    assert state is not None
    assert state.current.config is not None
    assert codec.loads(state.current.config)["roleName"] == "stratus-red-team-backdoor-r-role"


async def test_history_is_bounded_by_its_depth(
    aredis: Redis, keys: Keys, invictus_events: list[dict[str, Any]]
) -> None:
    life = of_subject(invictus_events, ROLE)
    assert len(life) == 6
    committer = Committer(aredis, keys, inventory=InventorySettings(history_depth=2))
    for event in life:
        await committer.commit([event])
    row: dict[bytes, bytes] = await aredis.hgetall(keys.asset(ROLE))  # type: ignore[assignment]
    kept = sorted(Version.decode(v).number for k, v in row.items() if k.startswith(b"h:"))
    assert kept == [5, 6]
    assert len(await journal(aredis, keys)) == 6


@pytest.mark.parametrize("per_call", [5, 10_000], ids=["call-per-batch", "pipelined-batches"])
async def test_two_committers_on_the_same_assets_lose_nothing(
    redis_srv: RedisServer, keys: Keys, invictus_events: list[dict[str, Any]], per_call: int
) -> None:
    """Two pipelines (own connections) commit overlapping halves concurrently in small
    batches, one call per batch or all batches of a half in one (pipelined) call: every event
    is journaled exactly once and the inventory is the sequential one."""
    clients = [Redis.from_url(redis_srv.url) for _ in range(3)]
    try:
        events = list(invictus_events)
        random.Random(3).shuffle(events)
        half = len(events) // 2
        overlap = len(events) // 10
        parts = (events[: half + overlap], events[half - overlap :])

        async def pipeline(client: Redis, part: list[dict[str, Any]]) -> int:
            committer = Committer(client, keys, JournalSettings(batch_size=5))
            conflicts = 0
            for start in range(0, len(part), per_call):
                conflicts += (await committer.commit(part[start : start + per_call])).conflicts
            return conflicts

        conflicts = await asyncio.gather(
            *(pipeline(c, p) for c, p in zip(clients, parts, strict=False))
        )
        assert sum(conflicts) > 0, "the halves overlap: the committers must have collided"
        entries = await journal(clients[2], keys)
        ids = [event["id"] for event in entries]
        assert len(ids) == len(set(ids)), "no event journaled twice"
        assert set(ids) == {event["id"] for event in invictus_events}, "no event lost"

        sequential = Keys(prefix=keys.prefix + "-seq")
        await Committer(clients[2], sequential).commit(invictus_events)
        assert await inventory(clients[2], keys) == await inventory(clients[2], sequential)
    finally:
        for client in clients:
            await client.aclose()


async def test_journal_is_trimmed_by_length(
    aredis: Redis, keys: Keys, invictus_events: list[dict[str, Any]]
) -> None:
    committer = Committer(aredis, keys, JournalSettings(max_length=50, batch_size=100))
    await committer.commit(invictus_events)
    length = await aredis.xlen(keys.journal)
    assert length < len(invictus_events)
    assert length >= 50  # trimmed approximately, never below the bound


async def test_journal_is_trimmed_by_age(
    aredis: Redis, keys: Keys, invictus_events: list[dict[str, Any]]
) -> None:
    """Entries older than `max_age_s` (by journal id time) go at the next commit."""
    for index in range(200):
        await aredis.xadd(
            keys.journal,
            {"event": b"{}", "subject": "s", "eid": f"old{index}"},
            id=f"1000000000000-{index + 1}",  # 2001: far beyond any age bound
        )
    committer = Committer(aredis, keys, JournalSettings(max_age_s=3600, batch_size=500))
    await committer.commit(invictus_events[:20])
    remaining = await entries(aredis, keys.journal, "-", "1000000000000-999")
    assert len(remaining) < 200, "old entries trimmed (whole stream nodes: approximately)"
    assert len(await entries(aredis, keys.journal, "1000000000001-0")) == 20


async def test_dedup_markers_expire_with_their_ttl(
    aredis: Redis, keys: Keys, invictus_events: list[dict[str, Any]]
) -> None:
    event = invictus_events[0]
    committer = Committer(aredis, keys, JournalSettings(dedup_ttl_s=120))
    await committer.commit([event])
    ttl = await aredis.ttl(keys.dedup(event["id"]))
    assert 0 < ttl <= 120
    journal_id = await aredis.get(keys.dedup(event["id"]))
    rows = await entries(aredis, keys.journal)
    assert journal_id == rows[0][0]
