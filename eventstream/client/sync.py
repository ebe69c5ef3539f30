"""`SyncEventStreamClient`: the client for scripts that do not use asyncio.

    with SyncEventStreamClient("http://127.0.0.1:8080") as client:
        for event in client.events(types="delete"):
            print(event.subject)

It runs the asynchronous client on an event loop of its own, in the calling thread, one step
at a time: nothing runs in the background between two iterations.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from types import TracebackType
from typing import Any, TypeVar

from eventstream.client.client import EventStreamClient
from eventstream.client.events import StreamEvent
from eventstream.client.stream import StreamOptions

__all__ = ["SyncEventStreamClient"]

T = TypeVar("T")


class SyncEventStreamClient:
    """The same methods as `EventStreamClient`, blocking; `events()` is a plain generator."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        options: StreamOptions | None = None,
        request_timeout_s: float = 30.0,
    ) -> None:
        self._runner = asyncio.Runner()
        self._client = EventStreamClient(
            url, token=token, options=options, request_timeout_s=request_timeout_s
        )

    def __enter__(self) -> SyncEventStreamClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._runner.run(self._client.close())
        self._runner.close()

    def _run(self, make: Callable[[], Coroutine[Any, Any, T]]) -> T:
        return self._runner.run(make())

    def _iterate(self, source: AsyncIterator[T]) -> Iterator[T]:
        async def step() -> tuple[bool, T | None]:
            try:
                return True, await anext(source)
            except StopAsyncIteration:
                return False, None

        try:
            while True:
                more, item = self._runner.run(step())
                if not more:
                    return
                yield item  # type: ignore[misc]
        finally:
            closer = getattr(source, "aclose", None)
            if closer is not None:
                self._runner.run(closer())

    def events(self, **subscription: Any) -> Iterator[StreamEvent]:
        """Typed events for ever; the arguments are those of `EventStreamClient.subscribe`."""
        return self._iterate(self._client.events(**subscription))

    def asset(self, name: str) -> dict[str, Any]:
        return self._run(lambda: self._client.asset(name))

    def history(self, name: str) -> list[dict[str, Any]]:
        return self._run(lambda: self._client.history(name))

    def assets(self, **filters: Any) -> Iterator[dict[str, Any]]:
        return self._iterate(self._client.assets(**filters))

    def event(self, event_id: str) -> StreamEvent:
        return self._run(lambda: self._client.event(event_id))
