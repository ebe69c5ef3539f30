"""The objects one server shares between its requests, created by the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict

import anyio
from redis.asyncio import Redis
from starlette.requests import Request

from eventstream.config.serve import ServeSettings
from eventstream.journal.keys import Keys
from eventstream.journal.reader import JournalReader, Resume
from eventstream.journal.streamid import StreamKey
from eventstream.serve import cursor
from eventstream.serve.auth import Auth, Grant
from eventstream.serve.broker import Broker
from eventstream.serve.errors import ApiError
from eventstream.serve.metrics import Metrics
from eventstream.serve.redact import Redactions

if TYPE_CHECKING:
    from eventstream.pipeline import Pipeline


@dataclass(slots=True)
class Services:
    """Everything a request handler needs; one per running app, never global."""

    settings: ServeSettings
    redis: Redis
    keys: Keys
    reader: JournalReader
    broker: Broker
    metrics: Metrics
    auth: Auth
    shutdown: anyio.Event
    pipeline: Pipeline | None = None
    redactions: Redactions = field(default_factory=Redactions)
    sealer: cursor.Cursors | None = None

    async def _cursors(self) -> cursor.Cursors:
        if self.sealer is None:
            self.sealer = await cursor.load(self.redis, self.keys)
        return self.sealer

    async def shown(self, grant: Grant, position: str) -> str:
        """`position` as `grant` may see it: itself for an unscoped caller, else sealed (it may
        be the position of an entry or asset outside the caller's scope)."""
        if grant.scope.matches_everything():
            return position
        return (await self._cursors()).seal(position)

    async def resume(self, grant: Grant, after: StreamKey) -> Resume:
        """Where a stream or page resumed after `after` continues, as `grant` may be told.

        An id ahead of the journal's newest entry gets a reset (history lost in a failover).
        Told to a scoped caller, that reset would say whether the newest entry of any account
        is older than a guessed id, and guesses would find other accounts' last activity: for
        it, an id up to Redis's present time resumes as it is (nothing after it is lost: new
        entries get later ids), and only an id in the future gets the reset."""
        resume = await self.reader.resume(after)
        if resume.reset_reason and resume.after < after and not grant.scope.matches_everything():
            seconds, micros = await self.redis.time()
            if after[0] <= seconds * 1000 + micros // 1000:
                return Resume(after)
        return resume

    async def opened(self, text: str, parameter: str) -> str:
        """The position a client sent back: itself, or what its sealed cursor holds."""
        if not cursor.is_sealed(text):
            return text
        try:
            return (await self._cursors()).open(text)
        except ValueError as error:
            raise ApiError(400, "bad_cursor", f"{parameter}: {error}", parameter) from None


class State(TypedDict):
    """The lifespan state: what `request.state` holds."""

    services: Services
    metrics: Metrics


def services(request: Request) -> Services:
    found: Services = request.state.services
    return found
