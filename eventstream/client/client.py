"""`EventStreamClient`: the stream of asset changes and the REST API of an EventStream server.

    async with EventStreamClient("http://127.0.0.1:8080", token=...) as client:
        async for event in client.events(types=["update"], asset_types=["AWS::EC2::*"]):
            print(event.subject, event.changes)

`events()` reconnects by itself and resumes where it stopped (see `stream.py`); the REST
helpers read the inventory (`asset`, `history`, `assets`) and single journal entries (`event`).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import Any
from urllib.parse import quote

import aiohttp

from eventstream import codec
from eventstream.client.backoff import Backoff
from eventstream.client.checkpoint import Checkpoint
from eventstream.client.events import StreamEvent
from eventstream.client.http import Filters, Retryable, check_answer, filter_params
from eventstream.client.stream import (
    MalformedHandler,
    ResetHandler,
    StreamOptions,
    Subscription,
)
from eventstream.errors import ServerUnavailableError
from eventstream.models.event import AssetEvent

__all__ = ["EventStreamClient"]

Handler = Callable[[StreamEvent], Awaitable[None] | None]
_REST_ATTEMPTS = 3


class EventStreamClient:
    """A client of one server (`url`, e.g. `http://127.0.0.1:8080`), with an optional bearer
    `token`. Use it as `async with`, or call `close()`; it may share the caller's aiohttp
    `session` (then it does not close it)."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        options: StreamOptions | None = None,
        request_timeout_s: float = 30.0,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.options = options or StreamOptions()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.request_timeout_s = request_timeout_s
        self._session = session
        self._own_session = session is None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # No total timeout on the session: each request sets its own (aiohttp's default
            # would end any stream after 5 minutes). Answers are decompressed when a proxy
            # compressed them (aiohttp asks for gzip); streams ask for none (`subscribe`).
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
            self._own_session = True
        return self._session

    async def __aenter__(self) -> EventStreamClient:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    def subscribe(
        self,
        *,
        types: Filters = None,
        asset_types: Filters = None,
        accounts: Filters = None,
        regions: Filters = None,
        methods: Filters = None,
        principals: Filters = None,
        subject_prefixes: Filters = None,
        start: str | None = None,
        last_event_id: str | None = None,
        checkpoint: Checkpoint | None = None,
        on_reset: ResetHandler | None = None,
        on_malformed: MalformedHandler | None = None,
        backoff: Backoff | None = None,
    ) -> Subscription:
        """A `Subscription` (iterate it; it also has `stats` and `last_event_id`). Filters are
        the server's (`types` create/update/delete, `asset_types` with globs, ...); `start` is
        where a new stream begins (`earliest`, `latest`, a time); `last_event_id`, else the
        `checkpoint`'s id, resumes after that event. Without `on_reset`, a history gap raises
        `StreamResetError`."""
        params = filter_params(
            types=types,
            asset_types=asset_types,
            accounts=accounts,
            regions=regions,
            methods=methods,
            principals=principals,
            subject_prefixes=subject_prefixes,
        )
        return Subscription(
            lambda: self.session,  # made in the event loop, when the stream first connects
            f"{self.url}/v1/events",
            params=params,
            # A compressed stream waits in the compressor: events would arrive late.
            headers={"Accept-Encoding": "identity", **self.headers},
            start=start,
            last_event_id=last_event_id,
            options=self.options,
            checkpoint=checkpoint,
            on_reset=on_reset,
            on_malformed=on_malformed,
            backoff=backoff,
        )

    def events(self, **subscription: Any) -> AsyncIterator[StreamEvent]:
        """Typed events for ever (see `subscribe` for the arguments). With a `checkpoint`,
        each event's id is saved when the loop asks for the next one, i.e. after its body."""
        return self.subscribe(**subscription)

    async def run(self, handler: Handler, **subscription: Any) -> None:
        """Call `handler(event)` (a function or a coroutine function) for every event; with a
        `checkpoint`, the id is saved once the handler returned."""
        events = self.subscribe(**subscription)
        try:
            async for event in events:
                outcome = handler(event)
                if inspect.isawaitable(outcome):
                    await outcome
        finally:
            await events.aclose()

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        """GET a JSON answer; 5xx and connection failures are retried a few times."""
        url = f"{self.url}{path}"
        timeout = aiohttp.ClientTimeout(total=self.request_timeout_s)
        backoff = Backoff(self.options.initial_delay_s / 2, self.options.max_delay_s)
        for attempt in range(1, _REST_ATTEMPTS + 1):
            try:
                async with self.session.get(
                    url, params=params, headers=self.headers, timeout=timeout, auto_decompress=True
                ) as response:
                    await check_answer(response)
                    return codec.loads(await response.read())
            except (aiohttp.ClientError, TimeoutError, Retryable) as error:
                if attempt == _REST_ATTEMPTS:
                    reason = str(error) or type(error).__name__
                    raise ServerUnavailableError(url, reason, attempts=attempt) from error
                backoff.failed()
                await asyncio.sleep(backoff.delay())
        raise AssertionError("unreachable")

    async def asset(self, name: str) -> dict[str, Any]:
        """`GET /v1/assets/{name}`: the asset's current state (`configuration`, `version`,
        `deleted`, `last_action`, ...); `NotFoundError` if the inventory has no such asset."""
        found: dict[str, Any] = await self._get(f"/v1/assets/{quote(name, safe=':')}")
        return found

    async def history(self, name: str) -> list[dict[str, Any]]:
        """Every kept version of an asset, newest first, each with its journal `event`."""
        page = await self._get(f"/v1/assets/{quote(name, safe=':')}/history")
        items: list[dict[str, Any]] = page["items"]
        return items

    async def assets(
        self,
        *,
        types: Filters = None,
        asset_types: Filters = None,
        accounts: Filters = None,
        regions: Filters = None,
        subject_prefixes: Filters = None,
        deleted: bool | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Every asset that passes the filters, in name order, page after page."""
        params = filter_params(
            types=types,
            asset_types=asset_types,
            accounts=accounts,
            regions=regions,
            subject_prefixes=subject_prefixes,
        )
        if deleted is not None:
            params["deleted"] = "true" if deleted else "false"
        if page_size is not None:
            params["limit"] = str(page_size)
        while True:
            page = await self._get("/v1/assets", params)
            for item in page["items"]:
                yield item
            cursor = page.get("next")
            if not cursor:
                return
            params = {**params, "cursor": str(cursor)}

    async def event(self, event_id: str) -> StreamEvent:
        """`GET /v1/events/{id}`: one journal entry as a typed event."""
        item = await self._get(f"/v1/events/{quote(event_id, safe='')}")
        event = AssetEvent.model_validate_json(codec.dumps(item["event"]))
        return StreamEvent(str(item["id"]), event)
