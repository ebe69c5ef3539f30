"""Wire formats against receivers that check them as Splunk HEC and Elasticsearch document
them, plus CloudEvents (read by the CloudEvents SDK) and JSON lines."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_http_event
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis
from standardwebhooks.webhooks import Webhook

from eventstream import codec
from eventstream.commands.webhooks import status_rows
from eventstream.config.webhooks import WebhookSettings
from eventstream.forward.deadletters import DeadLetters
from eventstream.forward.formats import Item, epoch_s, head_item, item_of
from eventstream.forward.formats import SplunkHec as SplunkHecFormat
from eventstream.forward.metrics import ForwardMetrics
from eventstream.forward.service import Forwarding
from eventstream.forward.state import DestinationState
from eventstream.journal.keys import Keys
from tests.forward.conftest import (
    SECRET,
    STARTED,
    Receiver,
    Running,
    commit,
    destination,
    start,
    until,
    until_count,
)
from tests.forward.receivers import HEC_PATH, ElasticBulk, SplunkHec


def _epoch(time: str) -> float:
    return datetime.fromisoformat(time.replace("Z", "+00:00")).timestamp()


async def _journal(redis: Redis, keys: Keys) -> list[dict[str, Any]]:
    rows: Any = await redis.xrange(keys.journal)
    return [codec.loads(fields[b"event"]) for _, fields in rows]


async def test_splunk_hec_wire_format(
    aredis: Redis, keys: Keys, sample_events: list[dict[str, Any]]
) -> None:
    """HEC objects with time in epoch seconds, host, source, sourcetype, index and the event,
    concatenated, with the token; a busy HEC (code 9) is retried with the same webhook-id."""
    hec = SplunkHec(busy_first=2)
    receiver = await Receiver(hec).start()
    try:
        settings = destination(
            f"http://127.0.0.1:{receiver.port}{HEC_PATH}",
            format="splunk-hec",
            token="hec-token",
            index="cloud",
            host="collector-1",
            batch_max_events=100,
        )
        running = await start(aredis, keys, settings)
        expected = await commit(aredis, keys, sample_events[:250])
        await until(lambda: len(hec.indexed) >= len(expected))
        await running.stop()
    finally:
        await receiver.stop()
    journal = await _journal(aredis, keys)
    assert [item["event"] for item in hec.indexed] == journal
    for item, event in zip(hec.indexed, journal, strict=True):
        assert set(item) == {"time", "host", "source", "sourcetype", "index", "event"}
        assert item["time"] == _epoch(event["time"])
        assert (item["host"], item["index"]) == ("collector-1", "cloud")
        assert (item["source"], item["sourcetype"]) == ("eventstream", "eventstream:asset")
    assert hec.answers[:3] == [503, 503, 200]
    ids = [request.headers["webhook-id"] for request in receiver.requests]
    assert ids[0] == ids[1] == ids[2]
    assert max(len(request.body) for request in receiver.requests) > 0
    assert all(request.body.count(b'{"time":') <= 100 for request in receiver.requests)
    for request in receiver.requests:
        Webhook(SECRET).verify(request.body, request.headers, json_parse=False)


async def test_splunk_hec_bad_token_disables_the_destination(
    aredis: Redis,
    keys: Keys,
    sample_events: list[dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """HEC code 4 (invalid token) holds for every event: the destination is disabled at the
    first answer (not retried, nothing dead-lettered, its entries stay pending), reported in
    the log, the metrics and `status`; once enabled (the token fixed), everything arrives."""
    hec = SplunkHec(token="the-right-one")
    receiver = await Receiver(hec).start()
    try:
        settings = destination(
            f"http://127.0.0.1:{receiver.port}{HEC_PATH}", format="splunk-hec", token="wrong"
        )
        registry = CollectorRegistry()
        forwarding = Forwarding(
            [settings], redis=aredis, keys=keys, metrics=ForwardMetrics(registry), environ={}
        )
        await forwarding.prepare()
        state = DestinationState(aredis, keys, "siem")
        with caplog.at_level(logging.ERROR, logger="eventstream.forward"):
            running = Running(forwarding, asyncio.create_task(forwarding.run()))
            STARTED.add(running)
            expected = await commit(aredis, keys, sample_events[:30])
            await until(lambda: len(receiver.requests) >= 1)
            await until_count(lambda: _is_disabled(state), 1)
            await asyncio.sleep(1.5)  # past the state poll: still disabled, not retried
        assert len(receiver.requests) == 1
        assert hec.answers == [403]
        dead = DeadLetters(aredis, keys, "siem")
        assert await dead.count() == 0
        pending: Any = await aredis.xpending(keys.journal, keys.webhook_group("siem"))
        assert pending["pending"] == len(expected)
        reason = "Splunk HEC refused the token: HTTP 403, HEC code 4: Invalid token"
        assert await state.disabled() == reason
        records: Any = [r for r in caplog.records if "destination disabled" in r.getMessage()]
        assert [(r.destination, r.cause, r.reason) for r in records] == [
            ("siem", "credentials", reason)
        ]
        labels = {"destination": "siem"}
        assert registry.get_sample_value("eventstream_webhook_disabled", labels) == 1
        assert (
            registry.get_sample_value(
                "eventstream_webhook_disables_total", {**labels, "cause": "credentials"}
            )
            == 1
        )
        status = (await status_rows(aredis, keys, [settings]))[0]
        assert (status["disabled"], status["in_flight"], status["dead_letters"]) == (
            reason,
            len(expected),
            0,
        )
        assert await forwarding.drained()  # disabled: `ingest` does not wait for it

        hec.token = "wrong"  # the token fixed on the Splunk side
        assert await state.enable()
        await until(lambda: len(hec.indexed) >= len(expected))
        await running.stop()
    finally:
        await receiver.stop()
    assert [item["event"]["id"] for item in hec.indexed] == expected
    assert await dead.count() == 0
    assert registry.get_sample_value("eventstream_webhook_disabled", labels) == 0


async def _is_disabled(state: DestinationState) -> int:
    return 1 if await state.disabled() else 0


async def test_splunk_hec_invalid_event_number(
    aredis: Redis, keys: Keys, sample_events: list[dict[str, Any]]
) -> None:
    """HEC code 6 with invalid-event-number N: the events before N were indexed, N is dead,
    the rest are sent again: each valid event is indexed exactly once."""
    await commit(aredis, keys, sample_events[:40])
    journal = await _journal(aredis, keys)
    poison = journal[7]["id"]
    hec = SplunkHec(invalid_ids=frozenset({poison}))
    receiver = await Receiver(hec).start()
    try:
        settings = destination(
            f"http://127.0.0.1:{receiver.port}{HEC_PATH}",
            format="splunk-hec",
            token="hec-token",
            start="all",
        )
        running = await start(aredis, keys, settings)
        await until(lambda: len(hec.indexed) >= len(journal) - 1)
        await running.stop()
    finally:
        await receiver.stop()
    assert [item["event"]["id"] for item in hec.indexed] == [
        event["id"] for event in journal if event["id"] != poison
    ]
    letters = await DeadLetters(aredis, keys, "siem").page()
    assert [codec.loads(letter.event)["id"] for letter in letters] == [poison]
    assert "HEC code 6: Invalid data format" in letters[0].error


async def test_elastic_bulk_wire_format_and_partial_failures(
    aredis: Redis, keys: Keys, sample_events: list[dict[str, Any]]
) -> None:
    """`create` actions with the event id as `_id`; per item: 429 retried, 400 dead with its
    error, 409 (already there) delivered; a 413 splits the batch."""
    await commit(aredis, keys, sample_events[:60])
    journal = await _journal(aredis, keys)
    ids = [event["id"] for event in journal]
    elastic = ElasticBulk(
        reject_once={ids[3], ids[40]}, unmappable=frozenset({ids[5]}), max_docs=16
    )
    elastic.docs[ids[10]] = journal[10]  # delivered before (a replay, another process)
    receiver = await Receiver(elastic).start()
    try:
        settings = destination(
            f"http://127.0.0.1:{receiver.port}/_bulk",
            format="elastic-bulk",
            index="assets",
            batch_max_events=50,
            start="all",
        )
        running = await start(aredis, keys, settings)
        await until(lambda: len(elastic.docs) >= len(ids) - 1)
        await running.stop()
    finally:
        await receiver.stop()
    assert set(elastic.docs) == set(ids) - {ids[5]}
    assert elastic.docs[ids[0]] == journal[0]
    assert elastic.sizes[:3] == [50, 25, 12]  # 413 for 50 and 25, then halves until taken
    letters = await DeadLetters(aredis, keys, "siem").page()
    assert len(letters) == 1
    assert codec.loads(letters[0].event)["id"] == ids[5]
    assert "mapper_parsing_exception" in letters[0].error
    pending: Any = await aredis.xpending(keys.journal, keys.webhook_group("siem"))
    assert pending["pending"] == 0


async def test_cloudevents_single_and_batch(
    aredis: Redis, keys: Keys, sample_events: list[dict[str, Any]]
) -> None:
    """`cloudevents`: one structured CloudEvent per request, read by the CloudEvents SDK;
    `cloudevents-batch`: a JSON array in `application/cloudevents-batch+json`."""
    single = await Receiver().start()
    batch = await Receiver().start()
    try:
        running = await start(
            aredis,
            keys,
            destination(single.url, name="one", format="cloudevents"),
            destination(batch.url, name="many", format="cloudevents-batch"),
        )
        expected = await commit(aredis, keys, sample_events[:12])
        await until(lambda: len(single.requests) >= len(expected))
        await until(lambda: sum(len(codec.loads(r.body)) for r in batch.requests) >= 12)
        await running.stop()
    finally:
        await single.stop()
        await batch.stop()
    got = []
    for request in single.requests:
        assert request.headers["Content-Type"] == "application/cloudevents+json"
        event = from_http_event(HTTPMessage(request.headers, request.body))
        got.append(event.get_id())
    assert got == expected
    assert {r.headers["Content-Type"] for r in batch.requests} == {
        "application/cloudevents-batch+json"
    }
    assert [event["id"] for r in batch.requests for event in codec.loads(r.body)] == expected


async def test_gzip_bodies_are_signed_before_compression(
    aredis: Redis, keys: Keys, receiver: Receiver, sample_events: list[dict[str, Any]]
) -> None:
    """With gzip, the receiver (which decompresses) verifies the signature of the JSON."""
    running = await start(aredis, keys, destination(receiver.url, gzip=True))
    expected = await commit(aredis, keys, sample_events[:20])
    await until(lambda: sum(r.body.count(b"\n") for r in receiver.requests) >= len(expected))
    await running.stop()
    for request in receiver.requests:
        assert request.headers["Content-Encoding"] == "gzip"
        Webhook(SECRET).verify(request.body, request.headers, json_parse=False)


def test_hec_time_cache_agrees_with_the_parser(sample_events: list[dict[str, Any]]) -> None:
    """HEC `time` from the per-time cache equals the full RFC 3339 parse, for every event
    (twice: from the parse, then from the cache); a time that does not parse is the entry's
    own time, and not cached for the next entry."""
    hec = SplunkHecFormat(
        WebhookSettings(name="d", url="http://x/", format="splunk-hec", token="t")
    )
    for _ in range(2):
        for event in sample_events:
            raw = codec.dumps(event)
            piece = codec.loads(hec.piece(item_of("1-0", raw, event)))
            assert piece["time"] == epoch_s(event["time"], "1-0") == round(_epoch(event["time"]), 3)
    for entry_id, expected in (
        ("1700000000123-0", 1700000000.123),
        ("1700000001000-0", 1700000001),
    ):
        item = Item(entry_id, b"{}", "x", "not a time")
        assert codec.loads(hec.piece(item))["time"] == expected


def test_head_item_agrees_with_the_whole_parse(sample_events: list[dict[str, Any]]) -> None:
    """The id and time read from an event's head are those of the whole parse; an event the
    head cannot answer for (data first, nested `data` before it, no time, not an object)
    gives None, so the whole event is parsed."""
    for event in sample_events:
        raw = codec.dumps(event)
        assert head_item("1-0", raw) == item_of("1-0", raw, codec.loads(raw))
    data_first = codec.dumps({"data": {"a": 1}, "id": "x", "time": "2024-01-01T00:00:00Z"})
    nested = b'{"id":"x","ext":{"k":1,"data":2},"time":"2024-01-01T00:00:00Z","data":{}}'
    no_time = codec.dumps({"id": "x", "data": {"time": "2024-01-01T00:00:00Z"}})
    for raw in (data_first, nested, no_time, b'[1,"data":2]', b'{"id":"x","data":1'):
        assert head_item("1-0", raw) is None
