"""The objects one server shares between its requests, created by the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict

import anyio
from redis.asyncio import Redis
from starlette.requests import Request

from eventstream.config.serve import ServeSettings
from eventstream.journal.keys import Keys
from eventstream.journal.reader import JournalReader
from eventstream.serve.auth import Auth
from eventstream.serve.broker import Broker
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


class State(TypedDict):
    """The lifespan state: what `request.state` holds."""

    services: Services
    metrics: Metrics


def services(request: Request) -> Services:
    found: Services = request.state.services
    return found
