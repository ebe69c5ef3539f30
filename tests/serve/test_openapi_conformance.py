"""schemathesis against a live server: the OpenAPI description matches what the server does.

Every operation of `/openapi.json` is called with generated data (bounded examples), auth off
and auth on (an unscoped and a scoped token), on a journal and inventory of real events; every
built-in schemathesis check must pass: no 5xx, every status and content type documented,
every body and header matching its schema, valid data accepted and invalid data rejected.
Streams end by themselves (`stream_max_s`), so an SSE response is complete. (schemathesis's
pytest plugin does not run under pytest 9 here, so the operations are driven with its
strategies and hypothesis's `given` directly.)
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from redis.asyncio import Redis
from schemathesis import GenerationMode

from eventstream.config import Settings
from eventstream.config.serve import ServeSettings, TokenSettings, token_hash
from eventstream.journal.commit import Committer
from eventstream.journal.keys import Keys
from eventstream.serve.app import AppConfig
from tests.serve.servers import RedisServer, ThreadServer, thread_server

pytestmark = pytest.mark.timeout(600)

_EXAMPLES = 25
ALL, SCOPED = "conformance-all-0123456789", "conformance-scoped-0123456789"
TOKENS = [
    TokenSettings(name="all", sha256=token_hash(ALL), accounts=["*"], metrics=True),
    TokenSettings(
        name="scoped",
        sha256=token_hash(SCOPED),
        accounts=["123837392027"],
        filter="region=us-east-1",
    ),
]


async def _commit(url: str, keys: Keys, events: list[dict[str, Any]]) -> None:
    client = Redis.from_url(url)
    try:
        await Committer(client, keys).commit(events)
    finally:
        await client.aclose()


@pytest.fixture(scope="module")
def servers(
    redis_srv: RedisServer, sample_events: list[dict[str, Any]]
) -> Iterator[dict[str, ThreadServer]]:
    keys = Keys(prefix=f"oa{uuid.uuid4().hex[:8]}")
    asyncio.run(_commit(redis_srv.url, keys, sample_events))
    streams = {"stream_max_s": 0.2, "heartbeat_s": 0.1, "shutdown_grace_s": 0.1}
    open_settings = Settings(serve=ServeSettings(**streams))
    auth_settings = Settings(serve=ServeSettings(**streams, tokens=TOKENS))
    with (
        thread_server(AppConfig(open_settings, redis_srv.url, keys)) as open_server,
        thread_server(AppConfig(auth_settings, redis_srv.url, keys)) as auth_server,
    ):
        yield {"open": open_server, "auth": auth_server}


@pytest.fixture(scope="module")
def api(servers: dict[str, ThreadServer]) -> dict[str, Any]:
    """Each server's own description (without auth, it asks for no token)."""
    return {
        name: schemathesis.openapi.from_url(f"{server.url}/openapi.json")
        for name, server in servers.items()
    }


def _run_every_operation(api: Any, server: ThreadServer, token: str | None) -> None:
    """Each operation, positive then negative data, `_EXAMPLES` cases each; every failure of
    every built-in check is collected and reported together."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    failures: list[str] = []
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 8
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=_EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,  # the same examples every run: CI fails only on a real change
                suppress_health_check=list(HealthCheck),
            )
            def run(case: Any) -> None:
                case.call_and_validate(base_url=server.url, headers=headers, timeout=10)

            try:
                run()
            except Unsatisfiable:
                # No invalid request exists for this operation (no parameter to break, or none
                # that can be sent broken): nothing to check in that mode.
                assert mode is GenerationMode.NEGATIVE, operation.label
            except Exception as error:
                failures.append(f"{operation.label} ({mode.value}): {error}"[:3000])
    assert failures == [], "\n\n".join(failures)


def test_without_auth(api: dict[str, Any], servers: dict[str, ThreadServer]) -> None:
    _run_every_operation(api["open"], servers["open"], None)


def test_with_a_token_that_sees_everything(
    api: dict[str, Any], servers: dict[str, ThreadServer]
) -> None:
    _run_every_operation(api["auth"], servers["auth"], ALL)


def test_with_a_scoped_token(api: dict[str, Any], servers: dict[str, ThreadServer]) -> None:
    _run_every_operation(api["auth"], servers["auth"], SCOPED)
