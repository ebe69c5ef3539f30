"""REST over the inventory: `/v1/assets`, `/v1/assets/{name}`, `/v1/assets/{name}/history`.

Asset names contain slashes. A name sent as one path segment (its `/` encoded as `%2F`, as
`urllib.parse.quote(name, safe="")` does) always means that asset, and `/history` after it its
history, whatever the name ends with (an IAM role named `history`, say). A name sent with its
slashes as they are still works, except that a last segment `history` then means the history.

Assets are listed in name order with a cursor (the last name scanned, sealed for a scoped
caller: it may name an asset outside the scope, see `serve.cursor`). Filters are those
of the events that make sense for an asset: `asset_type`, `account`, `region`,
`subject_prefix`, `type` (the action of its last change) and `deleted` (true/false). The
caller's token scope applies to every answer: an asset belongs to its own account, and one
outside the scope is a 404 when asked by name (as if missing: no existence oracle) and absent
from lists. In a history, the event behind a version follows the events' rule: shown when the
token sees it (redacted when it sees it only as the asset's account), else `null`.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response

from eventstream import codec
from eventstream.filters import Meta, meta_of
from eventstream.journal.assets import AssetState, AssetStore, VersionRecord
from eventstream.serve.auth import Grant
from eventstream.serve.context import Services, services
from eventstream.serve.errors import ApiError
from eventstream.serve.params import check_known, limit_of, request_filter
from eventstream.serve.rest import json_response, page_bytes

ASSET_FILTERS = ("type", "asset_type", "account", "region", "subject_prefix")
_LIST_PARAMETERS = (*ASSET_FILTERS, "deleted", "limit", "cursor")
_SCAN_FACTOR = 20
_MIN_SCAN = 2000
"""A page reads at most `_SCAN_FACTOR` times `limit` assets (and at least `_MIN_SCAN`), so a
narrow filter stays cheap; a page can then be short, or empty, with a `next` cursor."""


def meta_of_asset(state: AssetState) -> Meta:
    """What filters and scopes look at in an asset (its last change stands for `type`)."""
    asset = state.asset
    return Meta(
        action=state.current.action,
        asset_type=str(asset.get("type") or ""),
        account=str(asset.get("account") or ""),
        region=str(asset.get("region") or ""),
        method="",
        principals=(),
        subject=state.name,
        owner=str(asset.get("account") or ""),
    )


def _single_prefix(request: Request) -> str:
    """The one `subject_prefix` asked for, which narrows the index scan; "" when there are
    none or several (alternatives: the filter decides)."""
    values = [
        value.strip()
        for item in request.query_params.getlist("subject_prefix")
        for value in item.split(",")
        if value.strip()
    ]
    return values[0] if len(values) == 1 else ""


def _deleted(request: Request) -> bool | None:
    raw = request.query_params.get("deleted")
    if raw is None:
        return None
    if raw not in ("true", "false"):
        raise ApiError(400, "bad_filter", "deleted is true or false", "deleted")
    return raw == "true"


async def list_assets(request: Request) -> Response:
    svc = services(request)
    grant = await svc.auth.grant(request)
    check_known(request, _LIST_PARAMETERS)
    wanted = request_filter(request, grant)
    deleted = _deleted(request)
    limit = limit_of(request, svc.settings.page_size)
    prefix = _single_prefix(request)
    store = AssetStore(svc.redis, svc.keys)
    cursor = request.query_params.get("cursor")
    if cursor is not None and (not cursor or "\x00" in cursor):
        raise ApiError(400, "bad_cursor", "cursor is a previous page's next", "cursor")
    after = await svc.opened(cursor, "cursor") if cursor is not None else None
    items: list[bytes] = []
    scanned, at_end = 0, False
    budget = max(limit * _SCAN_FACTOR, _MIN_SCAN)
    while len(items) < limit and scanned < budget:
        count = min(svc.settings.replay_page_size, budget - scanned)
        names = await store.names(after, count, prefix)
        scanned += count
        for name, state in zip(names, await store.many(names), strict=True):
            after = name
            if state is None or (deleted is not None and state.current.deleted != deleted):
                continue
            if wanted.matches(meta_of_asset(state)):
                items.append(codec.dumps(state.document()))
                if len(items) == limit:
                    break
        if len(names) < count and len(items) < limit:
            at_end = True
            break
    if at_end or (after is not None and not await store.names(after, 1, prefix)):
        after = None
    # The last name scanned may be an asset outside the scope: sealed for a scoped caller.
    next_cursor = await svc.shown(grant, after) if after is not None else None
    return json_response(page_bytes(items, next_cursor))


_PREFIX = b"/v1/assets/"
_HISTORY = b"/history"


def asset_path(request: Request) -> tuple[str, bool]:
    """The asset name in the request's path, and whether its history is asked for, read from
    the raw path so that an encoded `%2F` stays inside the name."""
    raw: bytes = request.scope.get("raw_path") or request.scope["path"].encode()
    rest = raw[len(_PREFIX) :] if raw.startswith(_PREFIX) else raw
    history = rest.endswith(_HISTORY) and len(rest) > len(_HISTORY)
    if history:
        rest = rest[: -len(_HISTORY)]
    name = unquote(rest.decode("utf-8", "replace"))
    if not name:
        raise ApiError(404, "asset_not_found", "no asset name given")
    return name, history


async def asset_route(request: Request) -> Response:
    """`GET /v1/assets/{name}` and `GET /v1/assets/{name}/history`."""
    _, history = asset_path(request)
    return await (asset_history(request) if history else get_asset(request))


async def _state(request: Request, svc: Services, grant: Grant) -> AssetState:
    name, _ = asset_path(request)
    state = await AssetStore(svc.redis, svc.keys).get(name)
    if state is None or not grant.scope.matches(meta_of_asset(state)):
        raise ApiError(404, "asset_not_found", f"no asset name={name}")
    return state


def _as_seen(record: VersionRecord, svc: Services, grant: Grant) -> VersionRecord:
    """A kept version with its event as `grant` may see it (None when it may not, and then no
    `journal_id` either: the id of an entry outside the scope tells when it was journaled)."""
    if grant.scope.matches_everything():
        return record
    if record.event is None:  # trimmed: whose it was is unknown
        return dataclasses.replace(record, journal_id=None)
    meta = meta_of(codec.loads(record.event))
    if not grant.scope.matches(meta):
        return dataclasses.replace(record, event=None, journal_id=None)
    if grant.redacts(meta):
        return dataclasses.replace(record, event=svc.redactions.event(record.event))
    return record


async def get_asset(request: Request) -> Response:
    svc = services(request)
    grant = await svc.auth.grant(request)
    check_known(request, ())
    state = await _state(request, svc, grant)
    return json_response(codec.dumps(state.document()))


async def asset_history(request: Request) -> Response:
    """Every kept version, newest first, with the journal entry of the event behind it."""
    svc = services(request)
    grant = await svc.auth.grant(request)
    check_known(request, ())
    state = await _state(request, svc, grant)
    records = await AssetStore(svc.redis, svc.keys).history(state.name) or []
    items = [codec.dumps(_as_seen(record, svc, grant).document()) for record in records]
    return json_response(page_bytes(items, None, asset=state.document()))
