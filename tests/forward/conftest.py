"""Fixtures of the forwarding tests: a real redis-server, journals filled by the real commit,
and real aiohttp receivers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from redis.asyncio import Redis

from eventstream import codec
from eventstream.config.webhooks import WebhookSettings
from eventstream.forward.service import Forwarding
from eventstream.journal.commit import Committer
from eventstream.journal.keys import Keys
from eventstream.normalize.normalizer import Normalizer
from tests.conftest import read_jsonl
from tests.journal.conftest import aredis, keys, redis_srv

SAMPLE = Path(__file__).resolve().parents[2] / "eventstream" / "data" / "sample.jsonl"
SECRET = "whsec_" + base64.b64encode(b"eventstream-test-secret-0123456789").decode()
OLD_SECRET = "whsec_" + base64.b64encode(b"eventstream-old-secret-9876543210").decode()


__all__ = ["aredis", "keys", "redis_srv"]  # the journal tests' fixtures, shared here


@pytest.fixture(scope="session")
def sample_events(normalizer: Normalizer) -> list[dict[str, Any]]:
    """The asset events of the bundled sample trail."""
    events: list[dict[str, Any]] = []
    for record in read_jsonl(SAMPLE):
        events.extend(normalizer.normalize(record).events)
    return events


async def commit(redis: Redis, keys: Keys, events: list[dict[str, Any]]) -> list[str]:
    """Commit `events` with the real committer; the CloudEvents ids in journal order."""
    await Committer(redis, keys).commit(events)
    rows: Any = await redis.xrange(keys.journal)
    return [codec.loads(fields[b"event"])["id"] for _, fields in rows]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


Policy = Callable[[Received, int], Awaitable[web.StreamResponse] | web.StreamResponse]


def ok(_: Received, __: int) -> web.StreamResponse:
    return web.Response(status=200, text="ok")


@dataclass
class Receiver:
    """A real HTTP endpoint: records every request, answers through `policy(request, n)`
    (n: how many requests came before)."""

    policy: Policy = ok
    requests: list[Received] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        received = Received(request.path, dict(request.headers), await request.read(), time.time())
        count = len(self.requests)
        self.requests.append(received)
        answer = self.policy(received, count)
        if not isinstance(answer, web.StreamResponse):
            answer = await answer
        return answer

    async def start(self) -> Receiver:
        app = web.Application(client_max_size=64 * 2**20)
        app.router.add_route("POST", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        server: Any = site._server
        self.port = server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = await Receiver().start()
    try:
        yield found
    finally:
        await found.stop()


def destination(url: str, **overrides: Any) -> WebhookSettings:
    """A destination for tests: loopback allowed, short schedule, small batches, signed."""
    table: dict[str, Any] = {
        "name": "siem",
        "url": url,
        "format": "jsonl",
        "allow_private": True,
        "secrets": [SECRET],
        "batch_max_events": 50,
        "batch_max_wait_s": 0.02,
        "retry_schedule_s": [0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
        "retry_jitter": 0,
        "claim_idle_s": 30,
    }
    table.update(overrides)
    return WebhookSettings.model_validate(table)


@dataclass(eq=False)
class Running:
    forwarding: Forwarding
    task: asyncio.Task[None]

    async def stop(self) -> None:
        self.forwarding.stop()
        await asyncio.wait_for(self.task, 10)


STARTED: weakref.WeakSet[Running] = weakref.WeakSet()
"""Forwarders started by a test, stopped after it even when it failed half-way."""


@pytest.fixture(autouse=True)
async def _stop_forwarders() -> AsyncIterator[None]:
    yield
    for running in list(STARTED):
        if not running.task.done():
            await running.stop()


async def start(
    redis: Redis, keys: Keys, *destinations: WebhookSettings, consumer: str | None = None
) -> Running:
    forwarding = Forwarding(destinations, redis=redis, keys=keys, consumer=consumer, environ={})
    await forwarding.prepare()
    running = Running(forwarding, asyncio.create_task(forwarding.run()))
    STARTED.add(running)
    return running


async def until(check: Callable[[], bool], timeout_s: float = 15.0) -> None:
    """Wait for `check()` to hold (polling), failing after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def until_count(
    read: Callable[[], Awaitable[int]], expected: int, timeout_s: float = 15
) -> None:
    """Wait for the async `read()` to return `expected`."""
    deadline = time.monotonic() + timeout_s
    while (found := await read()) != expected:
        if time.monotonic() > deadline:
            raise AssertionError(f"expected {expected}, still {found}")
        await asyncio.sleep(0.02)


def lines(body: bytes) -> list[dict[str, Any]]:
    return [codec.loads(line) for line in body.splitlines() if line]


def delivered_ids(receiver: Receiver, accepted: Callable[[int], bool] | None = None) -> list[str]:
    """Event ids of the requests the receiver accepted (by request number), in arrival order."""
    out: list[str] = []
    for number, request in enumerate(receiver.requests):
        if accepted is None or accepted(number):
            out.extend(event["id"] for event in lines(request.body))
    return out
