"""What `eventstream serve` plugs together: settings, Redis, the committer and the sources."""

from __future__ import annotations

import logging
import tomllib
from contextlib import ExitStack
from typing import Any

from pydantic import ValidationError
from redis.asyncio import Redis

from eventstream.config import RedisSettings, Settings
from eventstream.config.serve import ServeSettings
from eventstream.errors import ConfigError
from eventstream.journal.commit import Committer
from eventstream.journal.connect import resolve, safe_url
from eventstream.journal.embedded import EmbeddedRedis
from eventstream.journal.keys import Keys
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.catalog import default_registry
from eventstream.serve.ingest import Ingest, Source
from eventstream.serve.metrics import Metrics

log = logging.getLogger(__name__)

_EMBEDDED_START_S = 10.0


def load_serve_settings(path: str | None) -> ServeSettings:
    """The `[serve]` section of a TOML file (or defaults); errors name the file and field."""
    if path is None:
        return ServeSettings()
    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
        return ServeSettings.model_validate(document.get("serve", {}))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"config={path}: {error}") from None
    except ValidationError as error:
        raise ConfigError(f"config={path}: [serve] {error}") from None


def redis_url_for(
    explicit: str | None, settings: RedisSettings, key_tag: str, stack: ExitStack
) -> str:
    """`--redis-url`, else the configured one (`REDIS_URL`; for a cluster, the primary node of
    the deployment's slot), else the embedded redis-server (`journal.embedded`), kept running
    until `stack` closes."""
    url = explicit or settings.url
    if url:
        return resolve(url, key_tag, settings)
    embedded = EmbeddedRedis(settings.data_dir, settings.server_binary, settings.connect_timeout_s)
    url = stack.enter_context(embedded).url
    log.info("embedded redis", extra={"url": url, "data_dir": str(settings.data_dir)})
    return url


def ingest_factory(sources: list[Source], settings: Settings, redis_url: str) -> Any:
    """Builds the app's ingest: the sources, through the normalizer, into the `Committer`."""

    def build(redis: Redis, keys: Keys, metrics: Metrics) -> Ingest:
        normalizer = Normalizer(default_registry())
        committer = Committer(
            redis, keys, settings.journal, settings.inventory, redis_url=safe_url(redis_url)
        )
        return Ingest(sources, normalizer, committer, metrics)

    return build
