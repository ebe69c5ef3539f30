"""The HTTP client of one destination: its own connection pool behind the private address
guard, its timeout, headers (extra headers, HEC token, Standard Webhooks signatures) and
optional gzip. Answers are returned, never raised; a request that gets no answer becomes
`SendFailure` with what went wrong."""

from __future__ import annotations

import asyncio
import base64
import gzip
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver

from eventstream.config.webhooks import WebhookSettings, literal_refusal
from eventstream.forward import signing
from eventstream.forward.guard import GuardResolver
from eventstream.forward.verdicts import Answer

MAX_ANSWER_BYTES = 4 * 2**20
"""Longest answer body read (an Elastic `_bulk` answer for a large batch)."""
USER_AGENT = "eventstream-webhooks"
GZIP_LEVEL = 1
"""Level 1: on a batch of 500 events of the bench, 13 us of CPU per event for 11 % of the
size, against 29 us for 8 % at level 5 (bench/README.md, Webhooks)."""


@dataclass(frozen=True, slots=True)
class SendFailure:
    """No answer: connection refused or reset, timeout, refused address."""

    error: str


class Sender:
    """POSTs bodies to one destination; `close()` releases its connections."""

    def __init__(
        self,
        settings: WebhookSettings,
        keys: Sequence[bytes],
        token: str,
        content_type: str,
        resolver: AbstractResolver | None = None,
    ) -> None:
        self.settings = settings
        self.keys = list(keys)
        self.refusal = literal_refusal(settings)
        base = {"Content-Type": content_type, "User-Agent": USER_AGENT, **settings.headers}
        if token:
            base["Authorization"] = f"Splunk {token}"
        if settings.gzip:
            base["Content-Encoding"] = "gzip"
        self.base_headers = base
        self.secret_texts = _secret_texts(settings, self.keys, token)
        self._resolver = resolver
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                resolver=GuardResolver(self.settings.allow_private, self._resolver),
                limit=4,
                ttl_dns_cache=None if self.settings.allow_private else 0,
                use_dns_cache=self.settings.allow_private,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=self.settings.timeout_s),
                auto_decompress=True,
                trust_env=False,
            )
        return self._session

    def scrub(self, text: str) -> str:
        """`text` (an error, an answer's snippet) without this destination's secrets: the
        URL's password, the HEC token, extra header values, signing secrets."""
        for secret in self.secret_texts:
            if secret in text:
                text = text.replace(secret, "***")
        return text

    def headers_for(
        self, message_id: str, body: bytes, timestamp: int | None = None
    ) -> dict[str, str]:
        return {**self.base_headers, **signing.headers(self.keys, message_id, body, timestamp)}

    async def post(self, message_id: str, body: bytes) -> Answer | SendFailure:
        """One signed request: the destination's answer, or why there was none."""
        if self.refusal:
            return SendFailure(self.refusal)
        headers = self.headers_for(message_id, body)
        data = gzip.compress(body, compresslevel=GZIP_LEVEL) if self.settings.gzip else body
        try:
            async with self._open().post(
                self.settings.url, data=data, headers=headers, allow_redirects=False
            ) as response:
                answer = await _read(response)
                return Answer(response.status, dict(response.headers), answer)
        except TimeoutError:
            return SendFailure(f"no answer within timeout_s={self.settings.timeout_s}")
        except (aiohttp.ClientError, OSError, ValueError) as error:
            return SendFailure(self.scrub(_describe(error)))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _secret_texts(settings: WebhookSettings, keys: Sequence[bytes], token: str) -> list[str]:
    """The texts that must never be shown, longest first (so none is left half masked)."""
    parts = urlsplit(settings.url)
    found = {token, *settings.headers.values()}
    found |= {base64.b64encode(key).decode() for key in keys}
    if parts.password:
        found |= {parts.password, unquote(parts.password)}
        credentials = f"{unquote(parts.username or '')}:{unquote(parts.password)}"
        found.add(base64.b64encode(credentials.encode("latin1", "replace")).decode())
    return sorted((text for text in found if len(text) >= 4), key=len, reverse=True)


async def _read(response: aiohttp.ClientResponse) -> bytes:
    """The answer body, at most `MAX_ANSWER_BYTES` of it."""
    parts: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        parts.append(chunk)
        size += len(chunk)
        if size >= MAX_ANSWER_BYTES:
            break
    return b"".join(parts)[:MAX_ANSWER_BYTES]


def _describe(error: BaseException) -> str:
    """The innermost useful text of a connection error (the guard's refusal included)."""
    cause = getattr(error, "os_error", None) or error.__cause__
    text = str(error) or type(error).__name__
    if cause is not None and str(cause) and str(cause) not in text:
        text = f"{text}: {cause}"
    return f"connection failed: {text}"


async def closing(senders: Sequence[Sender]) -> None:
    await asyncio.gather(*(sender.close() for sender in senders), return_exceptions=True)
