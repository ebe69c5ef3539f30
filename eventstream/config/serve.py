"""The `[serve]` section: the HTTP server's address, SSE behaviour and tokens."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from pathlib import Path

from pydantic import Field, ValidationInfo, field_validator, model_validator

from eventstream.config.sections import Section
from eventstream.errors import FilterError
from eventstream.filters import parse_filter_text

LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost"})
_ORIGIN = re.compile(r"https?://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?")
"""A browser origin: scheme, host (or bracketed IPv6 address) and optional port, no path."""


class TokenSettings(Section):
    """One bearer token, stored as the SHA-256 of its text, and what it may see."""

    name: str = Field(min_length=1, description="Who holds the token (logged, never the token).")
    sha256: str = Field(
        pattern=r"^[0-9a-f]{64}$",
        description="Hex SHA-256 of the token (`eventstream token` prints a new pair).",
    )
    accounts: list[str] = Field(
        min_length=1,
        description='Account ids whose events the token sees; ["*"] for every account.',
    )
    filter: str = Field(
        "",
        description="Extra filter the token is held to, as query parameters "
        "(for example `asset_type=AWS::EC2::*&region=eu-west-1`); an unknown key, a missing "
        "`=`, an empty value or a bad glob is an error.",
    )

    metrics: bool = Field(
        False, description="May read `/metrics` when `serve.metrics_require_token` is set."
    )

    @field_validator("filter")
    @classmethod
    def _valid_filter(cls, value: str, info: ValidationInfo) -> str:
        """Refuse a filter that does not parse, naming the token (fields validate in order, so
        `name` is known here unless it was itself invalid)."""
        try:
            parse_filter_text(value)
        except FilterError as error:
            name = info.data.get("name", "?")
            raise ValueError(f"token={name} filter {value!r}: {error}") from None
        return value


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ServeSettings(Section):
    """The HTTP server: address, SSE behaviour, tokens."""

    host: str = Field("127.0.0.1", description="Address to listen on.")
    port: int = Field(8080, ge=0, le=65535, description="Port to listen on (0: any free port).")
    heartbeat_s: float = Field(15.0, gt=0, description="Seconds between SSE comment heartbeats.")
    retry_ms: int = Field(
        3000, ge=0, description="Reconnection delay suggested to SSE clients (`retry:`)."
    )
    subscriber_buffer: int = Field(
        1024, ge=1, description="Events queued for one SSE subscriber before it is cut off."
    )
    write_timeout_s: float = Field(
        10.0, gt=0, description="Deadline of one write to an SSE subscriber before it is cut off."
    )
    stream_max_s: float = Field(
        0.0,
        ge=0,
        description="End each SSE stream after this many seconds, with a retry hint (0: never); "
        "clients resume by id, and load spreads across replicas.",
    )
    page_size: int = Field(100, ge=1, le=1000, description="Default page size of JSON lists.")
    replay_page_size: int = Field(500, ge=1, description="Journal entries read per replay query.")
    shutdown_grace_s: float = Field(
        2.0, ge=0, description="Seconds streams get to send their final event on shutdown."
    )
    cookie_secure: bool | None = Field(
        None,
        description="Mark the session cookie Secure (sent over HTTPS only); unset: Secure "
        "unless the server listens on a loopback address.",
    )
    cookie_max_age_s: int = Field(43200, ge=60, description="Life of the session cookie.")
    allow_unauthenticated: bool = Field(
        False,
        description="Serve without tokens on a non-loopback address (everyone sees everything).",
    )
    metrics_require_token: bool = Field(
        False,
        description="Serve `/metrics` only to a bearer token with `metrics = true` (off: "
        "`/metrics` is open, for a scraper on a private network).",
    )
    share_with_asset_account: bool = Field(
        False,
        description="Also show an event to the tokens of the account that owns its asset when "
        "another account's trail recorded it, with the caller's identity redacted (principal "
        "ARN, id and name, assumed role, session, IP, user agent, and the raw record). Off: an "
        "event is seen only by the account whose trail recorded it.",
    )
    tokens: list[TokenSettings] = Field(
        default_factory=list, description="Bearer tokens; none: no auth, loopback only."
    )

    @field_validator("tokens")
    @classmethod
    def _unique(cls, tokens: list[TokenSettings]) -> list[TokenSettings]:
        names = [token.name for token in tokens]
        if len(set(names)) != len(names):
            raise ValueError("token names must be unique")
        if len({token.sha256 for token in tokens}) != len(tokens):
            raise ValueError("two tokens have the same sha256")
        return tokens

    max_head_bytes: int = Field(
        65536,
        ge=1024,
        description="Largest request head (request line and headers), in bytes; a larger one "
        "is answered 431 and its connection closed, before any of it reaches the app.",
    )
    head_timeout_s: float = Field(
        10.0,
        gt=0,
        description="Seconds a client has to send a complete request head (and its body, if "
        "it has one), counted from the connection (first request) or from the first byte of "
        "each keep-alive request; then it is answered 408 and its connection closed.",
    )
    max_body_bytes: int = Field(
        4096,
        ge=0,
        description="Largest request body, in bytes (the API's one body is the token sent to "
        "`POST /v1/session`); a larger one is answered 413 and its connection closed.",
    )
    max_connections: int = Field(
        10000,
        ge=0,
        description="Open connections in total (0: no limit); a request on one more is answered "
        "503 with Retry-After (an SSE request: 200 with a retry hint and a `close` event).",
    )
    max_connections_per_client: int = Field(
        256,
        ge=0,
        description="Open connections from one client address (0: no limit); a request on one "
        "more is answered 429 with Retry-After (an SSE request: 200, a retry hint and a `close` "
        "event). Behind a reverse proxy every connection comes from the proxy: set 0 there and "
        "limit per client in the proxy.",
    )
    tls_cert_file: Path | None = Field(
        None,
        description="PEM certificate chain to serve HTTPS with (with `tls_key_file`); checked "
        "at start-up. None: plain HTTP.",
    )
    tls_key_file: Path | None = Field(
        None, description="PEM private key of `tls_cert_file` (not encrypted)."
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins (`https://dashboard.example.com`) allowed to call the API and read "
        "the stream from a browser, with credentials (cookie or Authorization); none by "
        "default. `*` is refused: credentials need explicit origins.",
    )

    @field_validator("cors_origins")
    @classmethod
    def _explicit_origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if not _ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"origin {origin!r}: expected scheme://host[:port] with no path "
                    "(`*` is refused: the stream is read with credentials)"
                )
        return origins

    @model_validator(mode="after")
    def _tls_pair(self) -> ServeSettings:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("tls_cert_file and tls_key_file go together: set both or neither")
        return self


def is_loopback(host: str) -> bool:
    """Whether `host` is a loopback address or name (so only this machine can connect)."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(settings: ServeSettings) -> str | None:
    """Why the server must not start as configured (None: it may)."""
    if settings.tokens or settings.allow_unauthenticated or is_loopback(settings.host):
        return None
    return (
        f"host={settings.host} is not a loopback address and no tokens are configured: "
        "add [[serve.tokens]] or set serve.allow_unauthenticated (--allow-unauthenticated)"
    )
