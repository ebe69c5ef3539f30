"""REST over the journal: `GET /v1/events?since=…` (paged JSON replay), `GET /v1/events/{id}`.

List responses are `{"items": [...], "next": <cursor or null>}`. Items embed the stored event
JSON bytes as they are: nothing is parsed and serialized again.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from eventstream import codec
from eventstream.filters import EventFilter
from eventstream.journal import streamid
from eventstream.journal.reader import Entry
from eventstream.journal.streamid import StreamKey
from eventstream.serve.auth import Grant
from eventstream.serve.context import Services
from eventstream.serve.cursor import is_sealed
from eventstream.serve.errors import ApiError
from eventstream.serve.params import check_form, limit_of
from eventstream.serve.sse import start_of

_SCAN_FACTOR = 20
"""A page scans at most this many times `limit` entries, so a narrow filter stays cheap."""


def json_response(body: bytes, status: int = 200) -> Response:
    return Response(body, status, media_type="application/json")


def view_of(entry: Entry, svc: Services, grant: Grant) -> Entry:
    """The entry as `grant` may see it: redacted when it is shown only as the asset's account."""
    return svc.redactions.of(entry) if grant.redacts(entry.meta) else entry


def item_bytes(entry: Entry) -> bytes:
    return b'{"id":"' + entry.id.encode() + b'","event":' + entry.event + b"}"


def page_bytes(items: list[bytes], next_cursor: str | None, **extra: object) -> bytes:
    tail = b"".join(
        b"," + codec.dumps(key) + b":" + codec.dumps(value) for key, value in extra.items()
    )
    return b'{"items":[' + b",".join(items) + b'],"next":' + codec.dumps(next_cursor) + tail + b"}"


async def _since(request: Request, svc: Services) -> tuple[StreamKey, bool]:
    """Where the page starts (exclusive) and whether to check it for trimming: `since`, else
    the stream's own start parameters (`Last-Event-ID`, `last_event_id`, `from`, with
    `from=latest` the journal's end), else the journal's start."""
    since = request.query_params.get("since")
    if "last-event-id" in request.headers or {"last_event_id", "from"} & set(request.query_params):
        start = await start_of(request, svc)  # checked even when `since` wins
        if since is None:
            if start.after is None:
                return await svc.reader.last_key(), False
            return start.after, start.check
    since = since or "earliest"
    forms = "since is earliest, a stream id, an RFC 3339 time or epoch ms"
    if not is_sealed(since):
        check_form(since, "since", "since", forms)
    raw = await svc.opened(since, "since")
    if raw == "earliest":
        return streamid.ZERO, False
    if not streamid.is_digits(raw):  # bare digits are epoch milliseconds, `<ms>-<seq>` an entry id
        try:
            return streamid.parse(raw), True
        except ValueError:
            pass
    try:
        return streamid.before(streamid.of_time(raw)), True
    except ValueError:
        raise ApiError(
            400,
            "bad_since",
            "since is earliest, a stream id, an RFC 3339 time or epoch ms",
            "since",
        ) from None


async def events_page(
    request: Request, svc: Services, event_filter: EventFilter, grant: Grant
) -> Response:
    """One page of the journal after `since`, filtered; `next` is null at the journal's end."""
    limit = limit_of(request, svc.settings.page_size)
    after, check = await _since(request, svc)
    extra: dict[str, object] = {}
    if check:
        resume = await svc.resume(grant, after)
        if resume.reset_reason:
            extra["reset"] = {
                "reason": resume.reset_reason,
                "resume_after": await svc.shown(grant, streamid.text(resume.after)),
            }
            after = resume.after
    items: list[bytes] = []
    scanned, at_end = 0, False
    while len(items) < limit and scanned < limit * _SCAN_FACTOR:
        count = min(svc.settings.replay_page_size, limit * _SCAN_FACTOR - scanned)
        entries = await svc.reader.page(after, count)
        scanned += count
        for entry in entries:
            after = entry.key
            if event_filter.matches(entry.meta):
                items.append(item_bytes(view_of(entry, svc, grant)))
                if len(items) == limit:
                    break
        if len(entries) < count and len(items) < limit:
            at_end = True
            break
    # `next` and `last` are where the scan stopped, perhaps on an entry outside the scope:
    # sealed for a scoped caller.
    last = await svc.shown(grant, streamid.text(after))
    extra["last"] = last
    return json_response(page_bytes(items, None if at_end else last, **extra))


async def event_by_id(request: Request, svc: Services, grant: Grant) -> Response:
    raw = request.path_params["id"]
    check_form(raw, "id", "id", "the event id is a stream id like 1700000000000-0")
    try:
        key = streamid.parse(raw)
    except ValueError:
        raise ApiError(
            400, "bad_event_id", "the event id is a stream id like 1700000000000-0", "id"
        ) from None
    entry = await svc.reader.get(key)
    # Out of scope is answered as missing: a 403 would tell that the id exists elsewhere.
    if entry is None or not grant.scope.matches(entry.meta):
        raise ApiError(404, "event_not_found", f"no journal entry id={raw}")
    return json_response(item_bytes(view_of(entry, svc, grant)))
