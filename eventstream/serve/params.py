"""Query parameters of a request: filters (with the caller's scope), page sizes, cursors."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from starlette.requests import Request

from eventstream.filters import PARAMETERS, EventFilter, FilterError, parse_filter
from eventstream.journal import streamid
from eventstream.serve.auth import Grant
from eventstream.serve.errors import ApiError

# Positions and times a request may name, as regular expressions that mean the same in Python
# and in JSON Schema, so `/openapi.json` states exactly what is accepted (`serve.openapi`).
STREAM_ID = r"[0-9]{1,19}(?:-(?:[0-9]{1,19}|18446744073709551615))?"  # the last: a page's start
TIME = (
    r"[1-9][0-9]{3}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6})?(?:Z|[+-](?:0[0-9]|1[0-3]):[0-5][0-9])"
)
EPOCH_MS = r"[0-9]{1,15}"
SINCE = f"earliest|{STREAM_ID}|{TIME}|{EPOCH_MS}"
FROM = f"earliest|latest|{TIME}|{EPOCH_MS}"
ASSET_CURSOR = r"[^\x00]+"
_CHECKS = {
    name: re.compile(pattern)
    for name, pattern in (("id", STREAM_ID), ("since", SINCE), ("from", FROM))
}


def check_form(value: str, form: str, parameter: str, message: str) -> str:
    """`value` if it has the form `form` (`id`, `since` or `from`), else a 400 naming it."""
    if not _CHECKS[form].fullmatch(value):
        raise ApiError(400, f"bad_{form}" if form != "id" else "bad_event_id", message, parameter)
    return value


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
    if wanted.principal is not None and grant.may_redact:
        # Events this grant sees redacted have no caller to match: `principal=` guesses must
        # not tell whether the withheld caller was the one guessed.
        wanted = dataclasses.replace(wanted, principal_owners=grant.accounts)
    return wanted.both(grant.scope) if grant.scope != EventFilter() else wanted


def limit_of(request: Request, default: int, maximum: int = 1000) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return default
    if not streamid.is_digits(raw) or not 1 <= int(raw) <= maximum:
        raise ApiError(400, "bad_limit", f"limit is an integer from 1 to {maximum}", "limit")
    return int(raw)
