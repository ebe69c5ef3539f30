"""Errors that say what happened, always as JSON `{"code", "message"}`: numbers in ASCII digits
only, 405 with `Allow`, and Redis down as a JSON 503 (REST) or a final `close` (a stream in
the middle of its replay), never a traceback or a broken body."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
import pytest

from eventstream.config import Settings
from eventstream.config.serve import ServeSettings
from eventstream.journal.keys import Keys
from eventstream.serve.app import AppConfig
from tests.serve.conftest import Journal, ServerFactory
from tests.serve.servers import redis_server, thread_server
from tests.serve.sse_client import SSEStream

UNICODE_DIGITS = ("%C2%B2", "%D9%A5", "%EF%BC%95", "1%C2%B2")  # ², Arabic-Indic 5, fullwidth 5


async def _json(response: aiohttp.ClientResponse) -> dict[str, Any]:
    assert response.content_type == "application/json", await response.text()
    body: dict[str, Any] = await response.json()
    assert set(body) >= {"code", "message"}
    return body


@pytest.mark.parametrize("digits", UNICODE_DIGITS)
async def test_numbers_are_ascii_digits_only(serve: ServerFactory, digits: str) -> None:
    server = serve()
    async with aiohttp.ClientSession() as session:
        for path, parameter in (
            (f"/v1/events?since=earliest&limit={digits}", "limit"),
            (f"/v1/assets?limit={digits}", "limit"),
            (f"/v1/events?since={digits}", "since"),
            (f"/v1/events?from={digits}", "from"),
            (f"/v1/events?last_event_id={digits}-0", "last_event_id"),
            (f"/v1/events/{digits}-0", "id"),
        ):
            async with session.get(server.url + path) as response:
                assert response.status == 400, path
                assert (await _json(response)).get("parameter") == parameter, path


async def test_method_not_allowed_says_which_are(serve: ServerFactory) -> None:
    server = serve()
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{server.url}/v1/events") as response:
            assert response.status == 405
            assert (await _json(response))["code"] == "method_not_allowed"
            assert "GET" in response.headers["Allow"]
        async with session.get(f"{server.url}/no/such/path") as response:
            assert response.status == 404
            assert (await _json(response))["code"] == "not_found"


_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


async def test_every_path_answers_other_methods_405_with_all_its_methods(
    serve: ServerFactory,
) -> None:
    """Each path of /openapi.json answers a method it does not describe with a JSON 405 whose
    `Allow` lists exactly the methods described (GET with HEAD), and the description says so."""
    server = serve()
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{server.url}/openapi.json") as response:
            spec = await response.json()
        for path, item in spec["paths"].items():
            described = {method.upper() for method in item}
            for method, operation in item.items():
                answer = operation["responses"].get("405")
                assert answer is not None, (path, method)
                assert "Allow" in answer["headers"], (path, method)
            allowed = described | ({"HEAD"} if "GET" in described else set())
            url = server.url + path.replace("{id}", "1-0").replace("{name}", "some%2Fasset")
            for method in set(_METHODS) - described:
                async with session.request(method, url) as response:
                    assert response.status == 405, (method, path)
                    assert (await _json(response))["code"] == "method_not_allowed"
                    header = response.headers["Allow"]
                    assert {m.strip() for m in header.split(",")} == allowed, (method, path)


async def test_redis_down_is_a_json_503_and_a_clean_close(
    sample_events: list[dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    """REST answers 503 JSON; a stream mid-replay ends with `close` (journal_unavailable) and
    a complete chunked body; no traceback is logged (no "Exception in ASGI application")."""
    caplog.set_level(logging.WARNING)
    uvicorn_log = logging.getLogger("uvicorn.error")  # does not propagate to the root
    uvicorn_log.addHandler(caplog.handler)
    try:
        await _redis_goes_down(sample_events)
    finally:
        uvicorn_log.removeHandler(caplog.handler)
    tracebacks = [r.getMessage()[:200] for r in caplog.records if r.exc_info or r.levelno >= 40]
    assert tracebacks == []
    assert any("journal unavailable" in r.getMessage() for r in caplog.records)  # captured


async def _redis_goes_down(sample_events: list[dict[str, Any]]) -> None:
    keys = Keys(prefix="errors")
    with redis_server() as redis_srv:
        Journal(redis_srv.client(), keys).append(sample_events * 40)
        settings = Settings(serve=ServeSettings(replay_page_size=5))
        with thread_server(AppConfig(settings, redis_srv.url, keys)) as server:
            async with SSEStream(f"{server.url}/v1/events?from=earliest") as stream:
                first = await stream.collect(10, lambda frames: len(frames) >= 3)
                # The client reads no more; the server's writes back up, mid-replay.
                redis_srv.process.terminate()
                redis_srv.process.wait(timeout=10)
                rest = await stream.collect(30, lambda f: any(x.event == "close" for x in f))
                tail = await stream.drain(1.0)
            assert first[0].id
            close = [frame for frame in rest if frame.event == "close"]
            assert len(close) == 1
            assert close[0].data is not None
            assert '"journal_unavailable"' in close[0].data
            assert tail == []
            assert stream.ended  # the body ended: no truncated chunked encoding
            async with aiohttp.ClientSession() as session:
                for path in ("/v1/assets", "/v1/events?since=earliest", "/v1/events/1-0"):
                    async with session.get(server.url + path) as response:
                        assert response.status == 503, path
                        assert (await _json(response))["code"] == "journal_unavailable"
