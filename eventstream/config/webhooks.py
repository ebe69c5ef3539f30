"""The `[[webhooks]]` tables: destinations the journal is forwarded to, one table each.

A destination has a `name` (its consumer group, dead-letter list and metrics label), a `url`,
a `format`, a `filter` in the vocabulary of the SSE filters, Standard Webhooks signing secrets
(`secrets`, or `secret_env` naming a variable), batch limits, a retry schedule and the private
address guard (`allow_private`). Secrets never appear in `config check` output
(`config.display` masks `secrets`, `token` and every header value).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import re
from collections.abc import Mapping
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from eventstream.config.sections import Section
from eventstream.errors import ConfigError, FilterError
from eventstream.filters import parse_filter_text
from eventstream.journal.urls import hide_password

Format = Literal["cloudevents", "cloudevents-batch", "splunk-hec", "elastic-bulk", "jsonl"]
FORMATS: tuple[str, ...] = (
    "cloudevents",
    "cloudevents-batch",
    "splunk-hec",
    "elastic-bulk",
    "jsonl",
)
SECRET_PREFIX = "whsec_"
DEFAULT_SCHEDULE_S = (0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
"""Delay before each attempt of one delivery: at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
10 h (eight attempts, about 28 hours); then the entries go to the dead-letter list."""
_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_HEADER = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_RESERVED_HEADERS = frozenset(
    {"content-type", "content-length", "content-encoding", "host", "transfer-encoding"}
    | {"webhook-id", "webhook-timestamp", "webhook-signature"}
)


def secret_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_<base64>` secret; raises `ValueError` for another form."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"a signing secret must look like {SECRET_PREFIX}<base64>")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"a signing secret must look like {SECRET_PREFIX}<base64>") from None
    if len(key) < 16:
        raise ValueError("a signing secret must hold at least 16 bytes")
    return key


class WebhookSettings(Section):
    """One destination of the forwarder."""

    name: str = Field(
        pattern=_NAME,
        description="Label of the destination: its consumer group on the journal, its "
        "dead-letter list, its metrics (letters, digits, `_`, `.`, `-`).",
    )
    url: str = Field(description="Where batches are POSTed (http:// or https://).")
    format: Format = Field(
        "cloudevents-batch",
        description="cloudevents (one CloudEvent per POST), cloudevents-batch, splunk-hec "
        "(the URL of /services/collector/event), elastic-bulk (the URL of _bulk), jsonl.",
    )
    filter: str = Field(
        "",
        description="Which events to forward, in the SSE filter vocabulary "
        "(`type=delete&asset_type=AWS::EC2::*`); empty: every event.",
    )
    enabled: bool = Field(True, description="Forward to this destination.")
    secrets: list[str] = Field(
        default_factory=list,
        description="Standard Webhooks signing secrets (`whsec_<base64>`), newest first: every "
        "request carries one signature per secret, so receivers can rotate.",
    )
    secret_env: str = Field(
        "",
        description="Environment variable holding the signing secrets (space-separated, "
        "newest first), instead of `secrets`; unset at start-up is an error.",
    )
    token: str = Field("", description="splunk-hec: the HEC token (`Authorization: Splunk`).")
    token_env: str = Field("", description="splunk-hec: variable holding the HEC token.")
    index: str = Field(
        "",
        description="splunk-hec: the index (omitted: the token's default); elastic-bulk: "
        "the `_index` of every action (omitted: the URL's index).",
    )
    source: str = Field("eventstream", description="splunk-hec: `source` of every event.")
    sourcetype: str = Field("eventstream:asset", description="splunk-hec: `sourcetype`.")
    host: str = Field("", description="splunk-hec: `host` (empty: the machine's name).")
    headers: dict[str, str] = Field(
        default_factory=dict,
        description="Extra request headers (an `Authorization: ApiKey ...`); values are "
        "masked in `config check`.",
    )
    timeout_s: float = Field(10.0, gt=0, description="Deadline of one request.")
    batch_max_events: int = Field(
        500, ge=1, le=10_000, description="Events per request at most (cloudevents: 1)."
    )
    batch_max_bytes: int = Field(
        4 * 2**20, ge=1024, description="Body size per request at most (before gzip)."
    )
    batch_max_wait_s: float = Field(
        0.2, ge=0, le=60, description="Longest an event waits for its batch to fill."
    )
    gzip: bool = Field(False, description="Send bodies gzip-compressed (`Content-Encoding`).")
    allow_private: bool = Field(
        False,
        description="Allow a destination on a loopback, private, link-local or metadata "
        "address; checked on the resolved address at every connection.",
    )
    retry_schedule_s: list[float] = Field(
        default_factory=lambda: list(DEFAULT_SCHEDULE_S),
        min_length=1,
        description="Delay before each attempt of a delivery (the first is usually 0); "
        "after the last attempt fails, its entries go to the dead-letter list.",
    )
    retry_jitter: float = Field(
        0.2, ge=0, le=1, description="Each delay is varied by up to this fraction."
    )
    retry_after_max_s: float = Field(
        36000.0, ge=0, description="Longest `Retry-After` honoured (429, 503)."
    )
    claim_idle_s: float = Field(
        60.0,
        gt=0,
        description="Entries a forwarder left pending this long (it crashed) are reclaimed "
        "by another; a live forwarder keeps its own fresh.",
    )
    start: Literal["new", "all"] = Field(
        "new",
        description="Where a new destination starts: `new` events only, or `all` the "
        "journal holds.",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        shown = hide_password(value)[:80]
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http:// or https:// URL: {shown!r}")
        try:
            _ = parts.port
        except ValueError:
            raise ValueError(f"bad port in {shown!r}") from None
        return value

    @field_validator("filter")
    @classmethod
    def _filter(cls, value: str) -> str:
        try:
            parse_filter_text(value)
        except FilterError as error:
            raise ValueError(f"filter {value!r}: {error}") from None
        return value

    @field_validator("secrets")
    @classmethod
    def _secrets(cls, value: list[str]) -> list[str]:
        for secret in value:
            secret_key(secret)
        return value

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not _HEADER.match(name):
                raise ValueError(f"not a header name: {name!r}")
            if name.lower() in _RESERVED_HEADERS:
                raise ValueError(f"header {name} is set by the forwarder")
            if "\n" in text or "\r" in text:
                raise ValueError(f"header {name}: line break in value")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> WebhookSettings:
        if self.secrets and self.secret_env:
            raise ValueError("set secrets or secret_env, not both")
        if self.token and self.token_env:
            raise ValueError("set token or token_env, not both")
        if self.format == "splunk-hec" and not (self.token or self.token_env):
            raise ValueError("splunk-hec needs token or token_env")
        parts = urlsplit(self.url)
        authorization = self.format == "splunk-hec" or any(
            name.lower() == "authorization" for name in self.headers
        )
        if (parts.username or parts.password) and authorization:
            raise ValueError(
                "user info in url (Basic authentication) cannot be combined with an "
                "Authorization header (splunk-hec's token, or headers)"
            )
        if self.claim_idle_s <= self.timeout_s:
            raise ValueError(
                "claim_idle_s must exceed timeout_s (else a slow request's entries would be "
                "reclaimed by another forwarder while in flight)"
            )
        refusal = literal_refusal(self)
        if refusal:
            raise ValueError(refusal)
        return self

    @property
    def max_events(self) -> int:
        return 1 if self.format == "cloudevents" else self.batch_max_events


def literal_refusal(settings: WebhookSettings) -> str:
    """Why the URL's host, an IP literal, is refused (empty: allowed, or a name, which is
    checked on each resolution instead)."""
    host = urlsplit(settings.url).hostname or ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return ""
    if settings.allow_private or is_public(address):
        return ""
    return f"url {host} is not a public address (set allow_private to allow it)"


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether an address is globally routable (not loopback, private, link-local — the cloud
    metadata address —, shared, reserved, multicast or unspecified)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def unique_names(webhooks: list[WebhookSettings]) -> list[WebhookSettings]:
    names = [webhook.name for webhook in webhooks]
    for name in names:
        if names.count(name) > 1:
            raise ValueError(f"two destinations are named {name!r}")
    return webhooks


def _split(text: str) -> list[str]:
    return [part for part in re.split(r"[\s,]+", text) if part]


def resolve_secrets(
    settings: WebhookSettings, environ: Mapping[str, str] | None = None
) -> tuple[list[bytes], str]:
    """The destination's HMAC keys (newest first) and its HEC token, from the settings or the
    environment; a named variable that is unset or malformed raises `ConfigError`."""
    env = os.environ if environ is None else environ
    secrets = list(settings.secrets)
    if settings.secret_env:
        value = env.get(settings.secret_env, "")
        secrets = _split(value)
        if not secrets:
            raise _missing(settings, "secret_env", f"{settings.secret_env} is not set")
    try:
        keys = [secret_key(secret) for secret in secrets]
    except ValueError as error:
        raise _missing(settings, "secret_env", f"{settings.secret_env}: {error}") from None
    token = settings.token
    if settings.token_env:
        token = env.get(settings.token_env, "").strip()
        if not token:
            raise _missing(settings, "token_env", f"{settings.token_env} is not set")
    return keys, token


def _missing(settings: WebhookSettings, field: str, message: str) -> ConfigError:
    return ConfigError(
        f"invalid settings: webhooks.{settings.name}.{field} (environment): {message}"
    )
