"""Bearer tokens from the settings (stored as SHA-256), each scoped to accounts and filters.

A browser's `EventSource` cannot send headers: `POST /v1/session` with the bearer token sets an
HttpOnly cookie holding it, and every endpoint accepts either. With no tokens configured, auth
is off and the server is loopback-only (see `settings.check_exposure`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from eventstream.config.serve import ServeSettings, TokenSettings
from eventstream.filters import (
    EventFilter,
    FilterError,
    Meta,
    account_filter,
    owner_filter,
    parse_filter_text,
)
from eventstream.serve.errors import ApiError

COOKIE = "es_token"
ALL_ACCOUNTS = "*"


@dataclass(frozen=True, slots=True)
class Grant:
    """What one caller may see: `scope` is ANDed with every filter the caller asks for.

    An event belongs to the account whose trail recorded it (`Meta.owner`): a token of accounts
    `accounts` sees those events. With `share` (`serve.share_with_asset_account`), it also sees
    the events other accounts recorded about its accounts' assets, redacted (`redacts`)."""

    name: str
    scope: EventFilter
    accounts: frozenset[str] | None
    share: bool = False

    def allows_account(self, account: str) -> bool:
        return self.scope.allows_account(account) and (
            self.accounts is None or account in self.accounts
        )

    def redacts(self, meta: Meta) -> bool:
        """Whether a visible event must lose its caller's identity for this grant: it is shown
        only because it is about one of the grant's assets, recorded by another account."""
        return (
            self.share
            and self.accounts is not None
            and (meta.owner or meta.account) not in self.accounts
        )

    @property
    def may_redact(self) -> bool:
        return self.share and self.accounts is not None


OPEN = Grant("anonymous", EventFilter(), None)


def _grant(token: TokenSettings, share: bool) -> Grant:
    accounts = None if ALL_ACCOUNTS in token.accounts else frozenset(token.accounts)
    try:
        extra = parse_filter_text(token.filter)
    except FilterError as error:
        raise ValueError(f"token={token.name}: filter {error}") from None
    if accounts is None:
        return Grant(token.name, extra, None)
    visible = account_filter(accounts) if share else owner_filter(accounts)
    return Grant(token.name, visible.both(extra), accounts, share)


class Auth:
    """Resolves a request's token (header or cookie) to its `Grant`."""

    def __init__(self, settings: ServeSettings) -> None:
        self.enabled = bool(settings.tokens)
        share = settings.share_with_asset_account
        self.grants = {token.sha256: _grant(token, share) for token in settings.tokens}
        self.settings = settings

    def token_of(self, request: Request) -> str | None:
        header = request.headers.get("authorization")
        if header is not None:
            scheme, _, value = header.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                raise ApiError(401, "bad_authorization", "expected 'Authorization: Bearer <token>'")
            return value.strip()
        return request.cookies.get(COOKIE)

    def grant(self, request: Request) -> Grant:
        """The caller's grant; raises 401 when auth is on and the token is missing or unknown."""
        if not self.enabled:
            return OPEN
        token = self.token_of(request)
        if token is None:
            raise ApiError(401, "missing_token", "a bearer token or session cookie is required")
        grant = self.grants.get(hashlib.sha256(token.encode()).hexdigest())
        if grant is None:
            raise ApiError(401, "invalid_token", "the token is not known to this server")
        return grant


async def create_session(request: Request) -> Response:
    """`POST /v1/session`: exchange a bearer token for an HttpOnly cookie (for EventSource)."""
    auth: Auth = request.state.services.auth
    grant = auth.grant(request)
    token = auth.token_of(request) if auth.enabled else None
    response = Response(status_code=204)
    if token is not None:
        response.set_cookie(
            COOKIE,
            token,
            max_age=auth.settings.cookie_max_age_s,
            path="/",
            secure=auth.settings.cookie_secure,
            httponly=True,
            samesite="strict",
        )
    response.headers["X-EventStream-Grant"] = grant.name
    return response


async def delete_session(request: Request) -> Response:
    """`DELETE /v1/session`: forget the cookie."""
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response
