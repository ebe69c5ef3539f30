"""The demo: scripted CloudTrail records, and `eventstream serve --demo` feeding the stream."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from eventstream import codec
from eventstream.journal.keys import Keys
from eventstream.normalize.normalizer import Normalizer
from eventstream.sources.demo import scenario_round
from tests.conftest import read_jsonl
from tests.serve.servers import ROOT, RedisServer, process_server
from tests.serve.sse_client import SSEStream, ids


def test_scenario_records_are_unique_current_and_normalize(normalizer: Normalizer) -> None:
    """Two rounds give distinct eventIDs, current times, console changes of the expected assets."""
    records = [*scenario_round(0), *scenario_round(1)]
    assert len({record["eventID"] for record in records}) == len(records)
    now = datetime.now(UTC)
    for record in records:
        moment = datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00"))
        assert abs((now - moment).total_seconds()) < 60
    names = [record["eventName"] for record in records[:6]]
    assert names == [
        "CreateUser",
        "AttachUserPolicy",
        "AuthorizeSecurityGroupIngress",
        "RevokeSecurityGroupIngress",
        "DetachUserPolicy",
        "DeleteUser",
    ]
    opened = records[2]["requestParameters"]["ipPermissions"]["items"][0]["ipRanges"]["items"][0]
    assert opened["cidrIp"] == "0.0.0.0/0"
    events = [event for record in records for event in normalizer.normalize(record).events]
    assert events, "the scenario must produce asset events"
    assert {event["data"]["attribution"]["method"] for event in events} == {"console"}
    subjects = {event["subject"] for event in events}
    assert any("/security-group/sg-04cfb7a4712d75b00" in subject for subject in subjects)
    assert any("/user/debug-admin-0-" in subject for subject in subjects)


async def test_serve_demo_streams_sample_then_live_scenario(
    redis_srv: RedisServer, keys: Keys, normalizer: Normalizer
) -> None:
    """`serve --demo` replays the bundled sample, then live scenario events keep coming."""
    args = ["--demo", "--demo-pace-s", "0", "--demo-step-s", "0.05"]
    with process_server([*args, "--redis-url", redis_srv.url, "--prefix", keys.prefix]) as server:
        async with SSEStream(f"{server.url}/v1/events?from=earliest") as stream:
            frames = await stream.collect(30, lambda f: _scenario_count(f) >= 8)
    sample = [
        event["id"]
        for record in read_jsonl(ROOT / "eventstream" / "data" / "sample.jsonl")
        for event in normalizer.normalize(record).events
    ]
    # The committer orders the events of one commit by their position (time, action, id),
    # so within a record the order may differ from the normalizer's; the set may not.
    assert len(set(sample)) == len(sample)
    assert {_event(frame)["id"] for frame in frames[: len(sample)]} == set(sample)
    live = [_event(frame) for frame in frames[len(sample) :]]
    assert len(live) >= 8
    assert {event["data"]["attribution"]["principal"]["name"] for event in live} == {
        "alex.morgan@example.com"
    }
    assert len(set(ids(frames))) == len(ids(frames))


def _event(frame: Any) -> Any:
    return codec.loads(frame.data or "{}")


def _scenario_count(frames: list[Any]) -> int:
    return sum(1 for frame in frames if "alex.morgan" in (frame.data or ""))
