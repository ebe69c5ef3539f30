"""The default `Clients`: one aiobotocore session from the default credential chain, one open
client per (service, region), the account ignored (one account: the credentials' own)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from eventstream.sources import aws


class DefaultClients:
    """Opens clients lazily and keeps them until `close()`."""

    def __init__(self, endpoint_url: str | None = None, *, max_attempts: int = 1) -> None:
        self._endpoint_url = endpoint_url
        self._max_attempts = max_attempts
        self._session = aws.session()
        self._stack = contextlib.AsyncExitStack()
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = asyncio.Lock()

    async def client(self, service: str, *, account: str, region: str) -> Any:
        key = (service, region)
        if key in self._clients:
            return self._clients[key]
        async with self._lock:
            if key not in self._clients:
                made = aws.client(
                    self._session,
                    service,
                    region=region,
                    endpoint_url=self._endpoint_url,
                    max_attempts=self._max_attempts,
                    read_timeout_s=20.0,
                )
                self._clients[key] = await self._stack.enter_async_context(made)
        return self._clients[key]

    async def close(self) -> None:
        self._clients.clear()
        await self._stack.aclose()
