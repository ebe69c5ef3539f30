"""Health, readiness, Prometheus metrics, OpenAPI and JSON logs on a real server."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import pytest
from starlette.routing import Route

from eventstream import codec
from eventstream.config import Settings
from eventstream.serve.app import AppConfig, create_app
from eventstream.serve.logs import JsonFormatter
from eventstream.serve.openapi import spec
from tests.serve.conftest import Journal, ServerFactory
from tests.serve.sse_client import SSEStream, ids
from tests.serve.test_sse import _wait_subscribed


async def test_health_and_readiness(serve: ServerFactory) -> None:
    """/healthz is 200; /readyz is 200 with every check ok once the journal reader runs."""
    server = serve()
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{server.url}/healthz") as response:
            assert response.status == 200
        for _ in range(100):
            async with session.get(f"{server.url}/readyz") as response:
                body = await response.json()
                if response.status == 200:
                    break
            await asyncio.sleep(0.05)
        assert body == {"status": "ready", "checks": {"redis": "ok", "journal_reader": "ok"}}


async def test_metrics_count_subscribers_entries_and_latency(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """/metrics is Prometheus text with subscribers, entries read and per-route latency."""
    server = serve()
    async with SSEStream(f"{server.url}/v1/events") as stream:
        await _wait_subscribed(server)
        journal.append(sample_events[:4])
        await stream.collect(10, lambda f: len(ids(f)) >= 4)
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{server.url}/metrics") as response,
        ):
            assert response.headers["Content-Type"].startswith("text/plain")
            text = await response.text()
    assert "eventstream_subscribers 1.0" in text
    assert "eventstream_journal_entries_read_total 4.0" in text
    latency = 'eventstream_http_request_duration_seconds_count{method="GET",route="/v1/events",'
    assert latency + 'status="200"} 1.0' in text
    assert "eventstream_slow_subscriber_disconnects_total 0.0" in text


async def test_openapi_describes_the_endpoints(serve: ServerFactory) -> None:
    """/openapi.json is an OpenAPI 3.1 document listing every public path."""
    server = serve()
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{server.url}/openapi.json") as response,
    ):
        spec = codec.loads(await response.read())
    assert spec["openapi"].startswith("3.1")
    for path in (
        "/v1/events",
        "/v1/events/{id}",
        "/v1/assets",
        "/v1/assets/{name}",
        "/v1/assets/{name}/history",
        "/healthz",
        "/readyz",
        "/metrics",
    ):
        assert path in spec["paths"]
    names = {p["name"] for p in spec["paths"]["/v1/events"]["get"]["parameters"]}
    assert {
        "type",
        "asset_type",
        "account",
        "region",
        "method",
        "principal",
        "subject_prefix",
        "from",
    } <= names


def test_every_route_and_method_is_described() -> None:
    """Each route of the app is a path of /openapi.json with exactly its methods (HEAD comes
    with GET), and nothing is described that the app does not serve."""
    app = create_app(AppConfig(Settings(), "redis://127.0.0.1:1"))
    served: dict[str, set[str]] = {}
    for route in app.routes:
        assert isinstance(route, Route)
        path = route.path.replace("{name:path}", "{name}")
        methods = set(route.methods or ()) - {"HEAD"}
        for each in [path, f"{path}/history"] if path.endswith("{name}") else [path]:
            served.setdefault(each, set()).update(methods)
    described = {
        path: {method.upper() for method in item} for path, item in spec()["paths"].items()
    }
    assert described == served


def test_json_log_lines_carry_extra_fields() -> None:
    """A log record becomes one JSON object with its message, level and extra fields."""
    record = logging.LogRecord(
        "eventstream.x", logging.WARNING, __file__, 1, "journal read failed", None, None
    )
    record.journal = "{es}:journal"
    line = JsonFormatter().format(record)
    assert "\n" not in line
    parsed = codec.loads(line)
    assert parsed["message"] == "journal read failed"
    assert parsed["level"] == "warning"
    assert parsed["journal"] == "{es}:journal"


@pytest.mark.parametrize("path", ["/", "/openapi.json"])
async def test_static_pages_are_served(serve: ServerFactory, path: str) -> None:
    """The live page and the API description answer 200."""
    server = serve()
    async with aiohttp.ClientSession() as session, session.get(server.url + path) as response:
        assert response.status == 200
        assert len(await response.read()) > 500
