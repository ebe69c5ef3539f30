"""An `InventorySync` from the settings: the accounts, regions and AWS clients it uses."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio import Redis

from eventstream.config import Settings
from eventstream.enrich.live.accounts import AccountClients, live_clients
from eventstream.enrich.live.describe import describer
from eventstream.enrich.live.describe.base import GLOBAL_REGION
from eventstream.enrich.live.outcome import Clients, ClientsError
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


async def _accounts(clients: Clients, *, prefix: str) -> list[str]:
    """The home account, and with `[accounts]` the configured (or organization's) ones."""
    if not isinstance(clients, AccountClients):
        return [await home_account(clients, prefix=prefix)]
    try:
        return await clients.accounts()
    except ClientsError as error:
        raise SyncError(f"cannot list the accounts to sync: {error}", prefix=prefix) from None


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
    """The sync `settings` describe (`[sync]`, the `[accounts]` to read, `[describe]
    endpoint_url`), its AWS clients closed on exit."""
    clients = live_clients(
        settings.accounts, settings.describe.endpoint_url, max_attempts=SYNC_ATTEMPTS
    )
    try:
        accounts = await _accounts(clients, prefix=keys.prefix)
        sync = settings.sync
        yield InventorySync(
            redis=redis,
            keys=keys,
            committer=Committer(redis, keys, settings.journal, settings.inventory, redis_url),
            clients=clients,
            fetcher=describer(),
            registry=default_registry(),
            accounts=accounts,
            regions=sync.regions or settings.accounts.regions or [default_region()],
            types=sync.types or None,
            concurrency=sync.concurrency,
            grace_s=sync.drift_grace_s,
            dry_run=dry_run,
            on_progress=on_progress,
        )
    finally:
        await clients.close()
