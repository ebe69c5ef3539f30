"""The private address guard: a destination may not reach loopback, private, link-local (the
cloud metadata service at 169.254.169.254), shared or reserved addresses unless its
`allow_private` is set.

A name is checked where it becomes addresses, in the connector's resolver, at every connection:
only the public addresses of an answer are kept, and an answer without one fails the connection.
So a name that resolves to a public address at start-up and to 127.0.0.1 later (DNS rebinding)
is refused then. An IP literal in the URL never resolves: it is checked once
(`config.webhooks.literal_refusal`, at start-up). Redirects are not followed.
"""

from __future__ import annotations

import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from eventstream.config.webhooks import is_public


class PrivateAddressError(OSError):
    """A destination's name resolved only to addresses it may not reach."""

    def __init__(self, host: str, addresses: list[str]) -> None:
        self.host = host
        self.addresses = addresses
        super().__init__(
            f"refused: {host} resolves to {', '.join(addresses) or 'nothing'}, not a public "
            "address (set allow_private to allow it)"
        )


def _public(result: ResolveResult) -> bool:
    try:
        address = ipaddress.ip_address(result["host"].partition("%")[0])
    except ValueError:
        return False
    return is_public(address)


class GuardResolver(AbstractResolver):
    """Resolves through `inner`, then keeps only the public addresses (all with
    `allow_private`)."""

    def __init__(self, allow_private: bool, inner: AbstractResolver | None = None) -> None:
        self.allow_private = allow_private
        self.inner = inner if inner is not None else DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self.inner.resolve(host, port, family)
        if self.allow_private:
            return found
        kept = [result for result in found if _public(result)]
        if not kept:
            raise PrivateAddressError(host, [result["host"] for result in found])
        return kept

    async def close(self) -> None:
        await self.inner.close()
