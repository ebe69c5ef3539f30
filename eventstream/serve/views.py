"""Small endpoints: the home page, health, readiness, and `/v1/events` dispatch (SSE or JSON)."""

from __future__ import annotations

from importlib import resources

from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from eventstream import codec
from eventstream.filters import PARAMETERS
from eventstream.serve import rest
from eventstream.serve.context import services
from eventstream.serve.params import check_known, request_filter
from eventstream.serve.sse import NO_BUFFERING, start_of, stream_response

_STREAM_PARAMETERS = (*PARAMETERS, "last_event_id", "from")
_PAGE_PARAMETERS = (*PARAMETERS, "since", "limit")


async def home(request: Request) -> Response:
    """A live view of the stream in the browser (EventSource)."""
    page = resources.files("eventstream.serve").joinpath("static/index.html").read_bytes()
    return HTMLResponse(page)


async def healthz(request: Request) -> Response:
    return rest.json_response(b'{"status":"ok"}')


async def readyz(request: Request) -> Response:
    """Ready when Redis answers, the journal reader runs and no source has failed."""
    svc = services(request)
    checks: dict[str, str] = {}
    try:
        await svc.redis.ping()
        checks["redis"] = "ok"
    except (RedisError, OSError) as error:
        checks["redis"] = f"error: {type(error).__name__}"
    checks["journal_reader"] = "ok" if svc.broker.connected else "not connected"
    if svc.pipeline is not None:
        checks.update(svc.pipeline.health())
    ready = all(value == "ok" for value in checks.values())
    body = codec.dumps({"status": "ready" if ready else "not ready", "checks": checks})
    return rest.json_response(body, 200 if ready else 503)


def _wants_json(request: Request) -> bool:
    if "since" in request.query_params or "limit" in request.query_params:
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/event-stream" not in accept


async def events(request: Request) -> Response:
    """`GET /v1/events`: SSE by default; a JSON page with `since`/`limit` or `Accept: JSON`."""
    svc = services(request)
    grant = await svc.auth.grant(request)
    if _wants_json(request):
        check_known(request, _PAGE_PARAMETERS)
        return await rest.events_page(request, svc, request_filter(request, grant), grant)
    check_known(request, _STREAM_PARAMETERS)
    event_filter = request_filter(request, grant)
    start = await start_of(request, svc)
    if request.method == "HEAD":
        return Response(headers=NO_BUFFERING, media_type="text/event-stream")
    return stream_response(svc, event_filter, start, grant)


async def event(request: Request) -> Response:
    svc = services(request)
    grant = await svc.auth.grant(request)
    check_known(request, ())
    return await rest.event_by_id(request, svc, grant)
