"""A dashboard on another origin: CORS preflights and credentialed requests, from an allowed
origin and a refused one, on a real server with tokens."""

from __future__ import annotations

import aiohttp
import pytest
from pydantic import ValidationError

from eventstream.config import ServeSettings
from tests.serve.conftest import ServerFactory
from tests.serve.sse_client import SSEStream
from tests.serve.test_protocol import TOKEN, TOKENS

DASHBOARD = "http://dashboard.test:8000"
STRANGER = "http://elsewhere.test"
_PREFLIGHT = {
    "Access-Control-Request-Method": "GET",
    "Access-Control-Request-Headers": "authorization, last-event-id",
}


async def test_preflight_is_allowed_for_a_listed_origin_only(serve: ServerFactory) -> None:
    """A listed origin's preflight is answered with its origin, credentials allowed and the
    headers a stream resumes with; another origin's gets 400 and no allowance."""
    server = serve(tokens=TOKENS, cors_origins=[DASHBOARD])
    async with aiohttp.ClientSession() as session:
        headers = {"Origin": DASHBOARD, **_PREFLIGHT}
        async with session.options(f"{server.url}/v1/events", headers=headers) as response:
            assert response.status == 200
            assert response.headers["Access-Control-Allow-Origin"] == DASHBOARD
            assert response.headers["Access-Control-Allow-Credentials"] == "true"
            allowed = response.headers["Access-Control-Allow-Headers"].lower()
            assert {"authorization", "last-event-id"} <= set(allowed.replace(" ", "").split(","))
        headers = {"Origin": STRANGER, **_PREFLIGHT}
        async with session.options(f"{server.url}/v1/events", headers=headers) as response:
            assert response.status == 400
            assert "Access-Control-Allow-Origin" not in response.headers


async def test_credentialed_stream_and_session_from_a_listed_origin(serve: ServerFactory) -> None:
    """From the listed origin, `POST /v1/session` and the stream read with its cookie (what an
    `EventSource` with `withCredentials` does) carry the origin and credentials allowance;
    from another origin the same responses carry none, so a browser hides them."""
    server = serve(tokens=TOKENS, cors_origins=[DASHBOARD])
    for origin, allowed in ((DASHBOARD, True), (STRANGER, False)):
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            headers = {"Origin": origin, "Authorization": f"Bearer {TOKEN}"}
            async with session.post(f"{server.url}/v1/session", headers=headers) as response:
                assert response.status == 204
                cookie = response.headers["Set-Cookie"].split(";")[0]
                assert _allowance(response.headers) == ((origin, "true") if allowed else None)
        stream_headers = {"Origin": origin, "Cookie": cookie}
        async with SSEStream(f"{server.url}/v1/events", headers=stream_headers) as stream:
            assert stream.status == 200
            assert stream.response is not None
            assert _allowance(stream.response.headers) == ((origin, "true") if allowed else None)
            assert "Origin" in stream.response.headers.get("Vary", "")
            frames = await stream.collect(5, lambda frames: True, events_only=False)
            assert frames[0].retry is not None


async def test_refusals_before_the_app_carry_a_listed_origins_allowance(
    serve: ServerFactory,
) -> None:
    """A request the protocol refuses (here a body too large) is answered with the CORS
    allowance of a listed origin, so that its page can read why; another origin's is not."""
    server = serve(cors_origins=[DASHBOARD], max_body_bytes=16)
    async with aiohttp.ClientSession() as session:
        for origin, allowed in ((DASHBOARD, True), (STRANGER, False)):
            headers = {"Origin": origin}
            async with session.post(
                f"{server.url}/v1/session", headers=headers, data=b"x" * 100
            ) as response:
                assert response.status == 413
                assert (await response.json())["code"] == "request_body_too_large"
                assert _allowance(response.headers) == ((origin, "true") if allowed else None)


async def test_no_cross_origin_access_by_default(serve: ServerFactory) -> None:
    """With no `cors_origins`, no origin is allowed anything and preflights are not served."""
    server = serve()
    async with aiohttp.ClientSession() as session:
        headers = {"Origin": DASHBOARD, **_PREFLIGHT}
        async with session.options(f"{server.url}/v1/events", headers=headers) as response:
            assert response.status == 405
            assert "Access-Control-Allow-Origin" not in response.headers
        async with session.get(f"{server.url}/healthz", headers={"Origin": DASHBOARD}) as response:
            assert response.status == 200
            assert _allowance(response.headers) is None


def test_origins_must_be_explicit() -> None:
    """`*` (meaningless with credentials), paths and bare names are refused in the settings."""
    for origin in ("*", "https://dashboard.test/", "https://dashboard.test/app", "dashboard"):
        with pytest.raises(ValidationError, match="expected scheme://host"):
            ServeSettings(cors_origins=[origin])
    settings = ServeSettings(cors_origins=["https://a.test", "http://[::1]:8080", DASHBOARD])
    assert len(settings.cors_origins) == 3


def _allowance(headers: object) -> tuple[str, str] | None:
    """(Allow-Origin, Allow-Credentials) of a response, or None when it allows no origin (a
    browser then hides it from the page, whatever else it carries)."""
    assert hasattr(headers, "get")
    origin = headers.get("Access-Control-Allow-Origin")
    if origin is None:
        return None
    return origin, headers.get("Access-Control-Allow-Credentials")
