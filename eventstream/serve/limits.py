"""The bounds every connection is held to before the app sees it, and the open-connection
counts of one server (per client address and in total).

`Guard` is owned by one server (`server.Server`): no process-wide state. `protocol.py` asks it
whether a new connection is admitted, and tells it when one closes.
"""

from __future__ import annotations

import enum
import ipaddress
import math
from dataclasses import dataclass, field

from eventstream.config import ServeSettings

REFUSING_MAX = 1024
"""Connections being refused at once (each lives until its request head is in, at most
`head_timeout_s`, and a short linger); beyond it, a connection over a limit is closed at once,
without a response."""

LINGER_S = 1.0
LINGER_BYTES = 1 << 20
"""After a refusal is written, how long and how much the connection keeps reading (and
discarding) of what the client is still sending, so that the client reads the refusal rather
than a reset."""


def client_key(address: str) -> str:
    """The address a connection counts under: an IPv4 address (also when mapped into IPv6),
    else its IPv6 /64 network, the smallest block a single client is usually given."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address  # a unix socket's peer ("")
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return address


class Admission(enum.Enum):
    """What becomes of a new connection."""

    ADMITTED = "admitted"
    CLIENT_LIMIT = "client_limit"  # its request is answered 429
    TOTAL_LIMIT = "total_limit"  # its request is answered 503
    DROPPED = "dropped"  # closed at once: too many refusals already in progress


@dataclass(frozen=True, slots=True)
class Limits:
    """The bounds of `[serve]` that the HTTP protocol enforces (0 connections: no limit)."""

    max_head_bytes: int = 65536
    head_timeout_s: float = 10.0
    max_body_bytes: int = 4096
    max_connections: int = 10000
    max_connections_per_client: int = 256
    retry_ms: int = 3000
    cors_origins: frozenset[str] = frozenset()  # refusals carry their CORS allowance too

    @classmethod
    def of(cls, settings: ServeSettings) -> Limits:
        return cls(
            max_head_bytes=settings.max_head_bytes,
            head_timeout_s=settings.head_timeout_s,
            max_body_bytes=settings.max_body_bytes,
            max_connections=settings.max_connections,
            max_connections_per_client=settings.max_connections_per_client,
            retry_ms=settings.retry_ms,
            cors_origins=frozenset(settings.cors_origins),
        )

    @property
    def retry_after_s(self) -> int:
        """The `Retry-After` of a refused connection: the SSE retry hint, in whole seconds."""
        return max(1, math.ceil(self.retry_ms / 1000))


@dataclass(slots=True)
class Guard:
    """Open connections of one server, by client address; the refusals in progress."""

    limits: Limits
    clients: dict[str, int] = field(default_factory=dict)
    total: int = 0
    refusing: int = 0

    def admit(self, address: str) -> Admission:
        """Count a new connection from `address` (a `client_key`) if it is within the
        limits."""
        limits = self.limits
        verdict = Admission.ADMITTED
        if limits.max_connections and self.total >= limits.max_connections:
            verdict = Admission.TOTAL_LIMIT
        elif (
            limits.max_connections_per_client
            and self.clients.get(address, 0) >= limits.max_connections_per_client
        ):
            verdict = Admission.CLIENT_LIMIT
        if verdict is Admission.ADMITTED:
            self.total += 1
            self.clients[address] = self.clients.get(address, 0) + 1
        elif self.refusing >= REFUSING_MAX:
            verdict = Admission.DROPPED
        else:
            self.refusing += 1
        return verdict

    def release(self, address: str, admission: Admission) -> None:
        """Forget a connection that `admit` answered `admission` when it closes."""
        if admission is Admission.ADMITTED:
            self.total -= 1
            left = self.clients[address] - 1
            if left:
                self.clients[address] = left
            else:
                del self.clients[address]
        elif admission is not Admission.DROPPED:
            self.refusing -= 1
