"""The SQS source stopping while acknowledgements are in flight: a release or delete sent on
the source's client is answered before that client is closed (bounded by `close_timeout_s`),
one asked for while the source stops is still sent, and one asked for once it has stopped goes
through a client of its own. A proxy in front of moto holds the calls, so the overlap is
forced rather than left to the scheduler."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Sequence
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from eventstream.pipeline.metrics import PipelineMetrics
from eventstream.sources.base import Checkpoint, Item
from eventstream.sources.sqs import SqsSource
from tests.aws import scene
from tests.aws.conftest import Moto
from tests.aws.holding import holding_proxy
from tests.conftest import read_jsonl

Items = AsyncGenerator[Sequence[Item], None]


def _envelopes(corpus: Path, count: int) -> list[dict[str, Any]]:
    found = [
        envelope
        for envelope in read_jsonl(corpus / "eventbridge" / "envelopes.jsonl")
        if envelope.get("detail-type") == "AWS API Call via CloudTrail"
    ]
    return found[:count]


async def _checkpoints(items: Items, count: int) -> list[Checkpoint]:
    found: list[Checkpoint] = []
    while len(found) < count:
        chunk = await asyncio.wait_for(items.__anext__(), 20)
        found += [item for item in chunk if isinstance(item, Checkpoint)]
    return found


def _source(moto: Moto, queue: str, endpoint: str, **overrides: Any) -> SqsSource:
    settings = scene.sqs_settings(moto, queue, endpoint_url=endpoint, concurrency=1)
    metrics = PipelineMetrics(CollectorRegistry())
    return SqsSource(settings, name="sqs", metrics=metrics, **overrides)


def _count(source: SqsSource, name: str, **labels: str) -> float:
    assert source.metrics is not None
    return scene.sample(source.metrics, name, **labels)


async def _visible(moto: Moto, queue: str, expected: int) -> dict[str, int]:
    """The queue's visible and in-flight counts, once `expected` are visible (or after 2 s:
    moto compares visibility times with `>`, so a message released now shows a moment later)."""
    counts: dict[str, int] = {}
    for _ in range(40):
        attributes = moto.client("sqs").get_queue_attributes(
            QueueUrl=queue,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        counts = {
            "visible": int(attributes["ApproximateNumberOfMessages"]),
            "in_flight": int(attributes["ApproximateNumberOfMessagesNotVisible"]),
        }
        if counts["visible"] == expected:
            break
        await asyncio.sleep(0.05)
    return counts


async def test_a_release_in_flight_when_the_source_stops_is_answered_before_the_client_closes(
    moto: Moto, corpus: Path, caplog: pytest.LogCaptureFixture
) -> None:
    queue = scene.new_queue(moto, "stop")
    scene.send(moto, queue, _envelopes(corpus, 1))
    async with holding_proxy(moto.endpoint) as proxy:
        source = _source(moto, queue, proxy.endpoint)
        items = source.items()
        (checkpoint,) = await _checkpoints(items, 1)
        arrived = proxy.hold("ChangeMessageVisibility")
        release = asyncio.create_task(checkpoint.ack.release("shutdown"))
        await asyncio.wait_for(arrived.wait(), 10)  # sent on the source's client, unanswered
        closing = asyncio.create_task(items.aclose())  # and the source stops meanwhile
        await asyncio.wait({closing}, timeout=0.5)
        closed_while_held = closing.done()
        proxy.go.set()
        await asyncio.wait_for(asyncio.gather(release, closing), 10)
    assert not closed_while_held  # the client waited for the call in flight
    assert "release failed" not in caplog.text
    assert _count(source, "eventstream_source_errors_total", kind="unreachable") == 0
    assert _count(source, "eventstream_source_messages_total", event="released") == 1
    assert await _visible(moto, queue, 1) == {"visible": 1, "in_flight": 0}  # at once


async def test_a_delete_asked_for_while_the_source_stops_is_sent_and_one_after_has_a_client(
    moto: Moto, corpus: Path, caplog: pytest.LogCaptureFixture
) -> None:
    queue = scene.new_queue(moto, "stopping")
    scene.send(moto, queue, _envelopes(corpus, 3))
    async with holding_proxy(moto.endpoint) as proxy:
        source = _source(moto, queue, proxy.endpoint)
        items = source.items()
        first, second, third = await _checkpoints(items, 3)
        arrived = proxy.hold("ChangeMessageVisibility")
        release = asyncio.create_task(first.ack.release("shutdown"))
        await asyncio.wait_for(arrived.wait(), 10)
        closing = asyncio.create_task(items.aclose())
        await asyncio.sleep(0.2)  # the source is stopping: its delete loop has ended
        assert not closing.done()
        delete = asyncio.create_task(second.ack.ack())  # committed while the source stops
        await asyncio.sleep(0.2)
        proxy.go.set()
        await asyncio.wait_for(asyncio.gather(release, delete, closing), 10)
        await third.ack.ack()  # committed once the source has stopped: a client of its own
    assert "failed" not in caplog.text
    assert _count(source, "eventstream_source_messages_total", event="deleted") == 2
    assert await _visible(moto, queue, 1) == {"visible": 1, "in_flight": 0}


async def test_the_wait_for_calls_in_flight_is_bounded_and_logged(
    moto: Moto, corpus: Path, caplog: pytest.LogCaptureFixture
) -> None:
    queue = scene.new_queue(moto, "bounded")
    scene.send(moto, queue, _envelopes(corpus, 1))
    caplog.set_level(logging.WARNING, logger="eventstream.sources.sqs")
    async with holding_proxy(moto.endpoint) as proxy:
        source = _source(moto, queue, proxy.endpoint, close_timeout_s=0.5)
        items = source.items()
        (checkpoint,) = await _checkpoints(items, 1)
        arrived = proxy.hold("ChangeMessageVisibility")
        release = asyncio.create_task(checkpoint.ack.release("shutdown"))
        await asyncio.wait_for(arrived.wait(), 10)
        await asyncio.wait_for(items.aclose(), 5)  # gives up waiting after 0.5 s
        proxy.go.set()
        await asyncio.wait_for(release, 10)  # fails on the closed client: logged, not raised
    assert _count(source, "eventstream_source_errors_total", kind="close_in_flight") == 1
    (line,) = [r for r in caplog.records if r.getMessage() == "client closed with calls in flight"]
    assert line.__dict__["calls"] == 1
    assert line.__dict__["queue"] == queue
