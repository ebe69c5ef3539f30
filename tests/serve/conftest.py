"""Fixtures of the serving tests: a real redis-server, real uvicorn servers, journal writers."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest
import redis

from eventstream import codec
from eventstream.config import RedisSettings, ServeSettings, Settings
from eventstream.journal.keys import Keys
from eventstream.normalize.normalizer import Normalizer
from eventstream.serve.app import AppConfig
from tests.conftest import corpus_dir, read_jsonl
from tests.serve.servers import RedisServer, ThreadServer, redis_server, thread_server

EVENTS_FROM_CORPUS = 800


@pytest.fixture(scope="session")
def redis_srv() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


@pytest.fixture(scope="session")
def sample_events(normalizer: Normalizer) -> list[dict[str, Any]]:
    """Real asset events: the first changes of the public Invictus trail, normalized."""
    events: list[dict[str, Any]] = []
    for record in read_jsonl(corpus_dir() / "cloudtrail" / "invictus.jsonl"):
        events.extend(normalizer.normalize(record).events)
        if len(events) >= EVENTS_FROM_CORPUS:
            break
    return events


class Journal:
    """Writes entries in the journal contract (XADD event/subject/eid) under one prefix."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys

    def append(self, events: list[dict[str, Any]], ids: list[str] | None = None) -> list[str]:
        """XADD every event (with the given entry ids, else Redis's); returns the ids."""
        pipe = self.client.pipeline(transaction=False)
        for index, event in enumerate(events):
            pipe.xadd(
                self.keys.journal,
                {"event": codec.dumps(event), "subject": event["subject"], "eid": event["id"]},
                id=ids[index] if ids is not None else "*",
            )
        return [raw.decode() for raw in pipe.execute()]

    @contextmanager
    def paced(
        self, events: list[dict[str, Any]], start: int, stop: int, pace_s: float = 0.03
    ) -> Iterator[None]:
        """While the block runs, a thread appends events `start` to `stop` (cycling through
        `events`) one at a time, `pace_s` apart; it is stopped and joined when the block ends."""
        halt = threading.Event()

        def write() -> None:
            for index in range(start, stop):
                if halt.is_set():
                    return
                self.append([events[index % len(events)]])
                time.sleep(pace_s)

        thread = threading.Thread(target=write)
        thread.start()
        try:
            yield
        finally:
            halt.set()
            thread.join(timeout=30)

    def ids(self) -> list[str]:
        rows: list[tuple[bytes, Any]] = self.client.xrange(self.keys.journal)  # type: ignore[assignment]
        return [raw.decode() for raw, _ in rows]


@pytest.fixture
def keys() -> Keys:
    return Keys(prefix=f"t{uuid.uuid4().hex[:10]}")


@pytest.fixture
def journal(redis_srv: RedisServer, keys: Keys) -> Journal:
    return Journal(redis_srv.client(), keys)


ServerFactory = Callable[..., ThreadServer]


@pytest.fixture
def serve(redis_srv: RedisServer, keys: Keys) -> Iterator[ServerFactory]:
    """Start real servers on this test's journal: `serve(heartbeat_s=0.2, ...)`."""
    with ExitStack() as stack:

        def start(redis: dict[str, Any] | None = None, **settings: Any) -> ThreadServer:
            combined = Settings(
                serve=ServeSettings(**settings), redis=RedisSettings(**(redis or {}))
            )
            config = AppConfig(combined, redis_srv.url, keys)
            return stack.enter_context(thread_server(config))

        yield start
