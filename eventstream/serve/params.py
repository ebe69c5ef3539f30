"""Query parameters of a request: filters (with the caller's scope), page sizes, cursors."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.requests import Request

from eventstream.filters import PARAMETERS, EventFilter, FilterError, parse_filter
from eventstream.journal import streamid
from eventstream.serve.auth import Grant
from eventstream.serve.errors import ApiError


def check_known(request: Request, allowed: Iterable[str]) -> None:
    """400 for a parameter this endpoint does not know (a typo would silently match all)."""
    known = set(allowed)
    for name in request.query_params:
        if name not in known:
            raise ApiError(400, "unknown_parameter", f"unknown query parameter {name!r}", name)


def request_filter(request: Request, grant: Grant) -> EventFilter:
    """The request's filter ANDed with the caller's scope; 400 names a bad parameter, 403 an
    account outside the scope."""
    params = {name: request.query_params.getlist(name) for name in PARAMETERS}
    try:
        wanted = parse_filter(params)
    except FilterError as error:
        raise ApiError(400, "bad_filter", str(error), error.parameter) from None
    for account in wanted.accounts or ():
        if not grant.allows_account(account):
            raise ApiError(
                403, "out_of_scope", f"account={account} is outside this token's scope", "account"
            )
    return wanted.both(grant.scope) if grant.scope != EventFilter() else wanted


def limit_of(request: Request, default: int, maximum: int = 1000) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return default
    if not streamid.is_digits(raw) or not 1 <= int(raw) <= maximum:
        raise ApiError(400, "bad_limit", f"limit is an integer from 1 to {maximum}", "limit")
    return int(raw)
