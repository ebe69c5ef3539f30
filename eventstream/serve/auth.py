"""Bearer tokens from the settings (stored as SHA-256), each scoped to accounts and filters.

A browser's `EventSource` cannot send headers: `POST /v1/session` with the bearer token opens a
session kept in Redis and sets its opaque id as an HttpOnly cookie, which every endpoint
accepts instead of the header until it expires or is revoked. With no tokens configured, auth
is off and the server is loopback-only (see `settings.check_exposure`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from redis.asyncio import Redis
from starlette.requests import Request
from starlette.responses import Response

from eventstream.config.serve import ServeSettings, TokenSettings, is_loopback, token_hash
from eventstream.filters import (
    EventFilter,
    FilterError,
    Meta,
    account_filter,
    owner_filter,
    parse_filter_text,
)
from eventstream.journal.keys import Keys
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
    metrics: bool = False  # may read /metrics when it requires a token

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
        return Grant(token.name, extra, None, metrics=token.metrics)
    visible = account_filter(accounts) if share else owner_filter(accounts)
    return Grant(token.name, visible.both(extra), accounts, share, token.metrics)


class Auth:
    """Resolves a request's bearer token, or its session cookie, to its `Grant`.

    A session is an opaque random id (the cookie) kept in Redis under the SHA-256 of that id
    (`Keys.session`), holding the SHA-256 of the token it was opened with and expiring with the
    cookie. `DELETE /v1/session` deletes it; a token removed from the configuration ends its
    sessions at their next request (the stored hash no longer names a grant)."""

    def __init__(
        self, settings: ServeSettings, redis: Redis | None = None, keys: Keys | None = None
    ):
        self.enabled = bool(settings.tokens)
        share = settings.share_with_asset_account
        self.grants = {token.sha256: _grant(token, share) for token in settings.tokens}
        self.settings = settings
        self.redis = redis
        self.keys = keys or Keys()
        self.secure = (
            settings.cookie_secure
            if settings.cookie_secure is not None
            else bool(settings.tls_cert_file) or not is_loopback(settings.host)
        )

    @staticmethod
    def bearer_of(request: Request) -> str | None:
        """The `Authorization: Bearer` token, None without the header; 401 for another form."""
        header = request.headers.get("authorization")
        if header is None:
            return None
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise ApiError(401, "bad_authorization", "expected 'Authorization: Bearer <token>'")
        return value.strip()

    def bearer_grant(self, token: str) -> Grant:
        grant = self.grants.get(token_hash(token))
        if grant is None:
            raise ApiError(401, "invalid_token", "the token is not known to this server")
        return grant

    async def grant(self, request: Request) -> Grant:
        """The caller's grant; raises 401 when auth is on and neither a known bearer token nor
        a live session comes with the request."""
        if not self.enabled:
            return OPEN
        token = self.bearer_of(request)
        if token is not None:
            return self.bearer_grant(token)
        session = request.cookies.get(COOKIE)
        if not session:
            raise ApiError(401, "missing_token", "a bearer token or session cookie is required")
        return await self._session_grant(session)

    async def _session_grant(self, session: str) -> Grant:
        if self.redis is None:
            raise ApiError(401, "invalid_session", "sessions are not available")
        stored = await self.redis.hget(self.keys.session(token_hash(session)), _TOKEN_FIELD)
        if not isinstance(stored, bytes):
            raise ApiError(401, "invalid_session", "the session expired or was closed")
        grant = self.grants.get(stored.decode())
        if grant is None:
            raise ApiError(401, "invalid_session", "the session's token was removed")
        return grant

    async def open_session(self, token: str) -> str:
        """A new session for `token` (already checked); returns its id, the cookie's value."""
        assert self.redis is not None
        session = secrets.token_urlsafe(32)
        key = self.keys.session(token_hash(session))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={_TOKEN_FIELD: token_hash(token)})
            pipe.expire(key, self.settings.cookie_max_age_s)
            await pipe.execute()
        return session

    async def close_session(self, session: str) -> bool:
        """Revoke a session; whether it existed."""
        if self.redis is None:
            return False
        return bool(await self.redis.delete(self.keys.session(token_hash(session))))


_TOKEN_FIELD = b"token_sha256"


async def metrics_gate(request: Request) -> None:
    """With `serve.metrics_require_token`, `/metrics` needs a bearer token with `metrics`."""
    auth: Auth = request.state.services.auth
    if not auth.settings.metrics_require_token:
        return
    token = auth.bearer_of(request)
    if token is None:
        raise ApiError(401, "missing_token", "/metrics needs 'Authorization: Bearer <token>'")
    if not auth.bearer_grant(token).metrics:
        raise ApiError(403, "forbidden", "this token may not read /metrics (metrics = false)")


async def create_session(request: Request) -> Response:
    """`POST /v1/session` with `Authorization: Bearer <token>`: open a session and set its id
    as an HttpOnly cookie (for `EventSource`, which cannot send headers). The cookie alone
    cannot open another session."""
    auth: Auth = request.state.services.auth
    response = Response(status_code=204)
    if not auth.enabled:
        response.headers["X-EventStream-Grant"] = OPEN.name
        return response
    token = auth.bearer_of(request)
    if token is None:
        raise ApiError(401, "missing_token", "opening a session needs 'Authorization: Bearer'")
    grant = auth.bearer_grant(token)
    session = await auth.open_session(token)
    response.set_cookie(
        COOKIE,
        session,
        max_age=auth.settings.cookie_max_age_s,
        path="/",
        secure=auth.secure,
        httponly=True,
        samesite="strict",
    )
    response.headers["X-EventStream-Grant"] = grant.name
    return response


async def delete_session(request: Request) -> Response:
    """`DELETE /v1/session`: revoke the session (it stops working at once, wherever the cookie
    went) and ask the browser to drop its cookie."""
    auth: Auth = request.state.services.auth
    session = request.cookies.get(COOKIE)
    if session:
        await auth.close_session(session)
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/", secure=auth.secure, httponly=True, samesite="strict")
    return response


async def session(request: Request) -> Response:
    """`/v1/session`: POST opens, DELETE revokes. One route for both methods, so that a 405 to
    another method lists both in its `Allow` (two routes would each answer with their own)."""
    if request.method == "DELETE":
        return await delete_session(request)
    return await create_session(request)
