"""An `InventorySync` from the settings: the accounts, regions and AWS clients it uses."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio import Redis

from eventstream.config import Settings
from eventstream.enrich.live.clients import DefaultClients
from eventstream.enrich.live.describe import describer
from eventstream.enrich.live.describe.base import GLOBAL_REGION
from eventstream.enrich.live.outcome import Clients
from eventstream.enrich.sync.run import InventorySync, Progress
from eventstream.errors import SyncError
from eventstream.journal.commit import Committer
from eventstream.journal.keys import Keys
from eventstream.normalize.resources.catalog import default_registry
from eventstream.sources import aws
from eventstream.sources.aws import AWS_ERRORS

SYNC_ATTEMPTS = 5  # botocore's own retries (standard mode): a sync has no deadline to keep


def default_region() -> str:
    """The AWS configuration's default region (environment, profile), else us-east-1."""
    region = aws.session().get_config_variable("region")
    return str(region) if region else GLOBAL_REGION


async def home_account(clients: Clients, *, prefix: str) -> str:
    """The account of the default credentials (STS `GetCallerIdentity`)."""
    try:
        sts = await clients.client("sts", account="", region=default_region())
        identity: dict[str, Any] = await sts.get_caller_identity()
    except AWS_ERRORS as error:
        raise SyncError(
            f"cannot tell which account the AWS credentials are for: {aws.describe(error)}",
            prefix=prefix,
        ) from None
    return str(identity["Account"])


@contextlib.asynccontextmanager
async def inventory_sync(
    settings: Settings,
    *,
    redis: Redis,
    keys: Keys,
    redis_url: str,
    dry_run: bool = False,
    on_progress: Progress | None = None,
) -> AsyncIterator[InventorySync]:
    """The sync `settings` describe (`[sync]`, `[describe] endpoint_url`), its AWS clients
    closed on exit."""
    clients = DefaultClients(settings.describe.endpoint_url, max_attempts=SYNC_ATTEMPTS)
    try:
        accounts = [await home_account(clients, prefix=keys.prefix)]
        sync = settings.sync
        yield InventorySync(
            redis=redis,
            keys=keys,
            committer=Committer(redis, keys, settings.journal, settings.inventory, redis_url),
            clients=clients,
            fetcher=describer(),
            registry=default_registry(),
            accounts=accounts,
            regions=sync.regions or [default_region()],
            types=sync.types or None,
            concurrency=sync.concurrency,
            grace_s=sync.drift_grace_s,
            dry_run=dry_run,
            on_progress=on_progress,
        )
    finally:
        await clients.close()
