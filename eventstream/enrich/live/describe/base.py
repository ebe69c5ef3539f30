"""What every describe family shares: one asset type's describe function, the error codes
that mean "no such asset", and turning a response into a JSON-serializable configuration."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from eventstream.enrich.live.outcome import (
    GLOBAL,
    Clients,
    Failed,
    Found,
    Missing,
    Outcome,
    Target,
    open_client,
)
from eventstream.models.event import ConfigurationSource
from eventstream.sources.aws import AWS_ERRORS, describe, error_code, error_kind

GLOBAL_REGION = "us-east-1"  # the client region of global services (IAM, S3 by name)

NOT_FOUND = frozenset(
    {
        "InvalidGroup.NotFound",
        "InvalidGroupId.NotFound",
        "InvalidInstanceID.NotFound",
        "InvalidInstanceID.Malformed",
        "InvalidVolume.NotFound",
        "InvalidVpcID.NotFound",
        "InvalidSubnetID.NotFound",
        "InvalidNetworkInterfaceID.NotFound",
        "NoSuchBucket",
        "NoSuchEntity",
        "ResourceNotFoundException",
        "NotFoundException",
        "NotFound",
        "DBInstanceNotFound",
        "DBInstanceNotFoundFault",
        "DBClusterNotFoundFault",
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
        "TrailNotFoundException",
        "KMSInvalidStateException",
        "404",
    }
)

Describe = Callable[[Any, Target], Awaitable[dict[str, Any] | None]]
"""A describe function: the configuration, or None when the provider lists no such asset."""


class Gone(Exception):
    """Raised by a describe function when the asset does not exist."""


@dataclass(frozen=True, slots=True)
class Kind:
    service: str
    describe: Describe


def jsonable(value: Any) -> Any:
    """The value with datetimes as RFC 3339 strings, bytes as text, and no ResponseMetadata."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def name_of(provider_id: str) -> str:
    """The last segment of an ARN (a role, user, function name), or the id itself."""
    if provider_id.startswith("arn:"):
        return provider_id.split(":", 5)[-1].rsplit("/", 1)[-1].rsplit(":", maxsplit=1)[-1]
    return provider_id


async def optional(call: Awaitable[dict[str, Any]], *codes: str) -> dict[str, Any] | None:
    """A sub-call whose "not configured" error codes mean the key is absent (None)."""
    try:
        return await call
    except ClientError as e:
        if error_code(e) in codes:
            return None
        raise


def client_region(target: Target) -> str:
    return GLOBAL_REGION if target.region in (GLOBAL, "", None) else target.region


@dataclass(frozen=True, slots=True)
class Describer:
    """A `Fetcher` over a table of asset types to their describe functions."""

    kinds: dict[str, Kind]

    def supports(self, asset_type: str) -> bool:
        return asset_type in self.kinds

    async def fetch(self, target: Target, clients: Clients) -> Outcome:
        kind = self.kinds[target.asset_type]
        try:
            made = await open_client(clients, kind.service, target, client_region(target))
            if isinstance(made, Outcome):
                return made
            configuration = await kind.describe(made, target)
        except Gone as e:
            return Missing(str(e))
        except ClientError as e:
            if error_code(e) in NOT_FOUND:
                return Missing(describe(e))
            return Failed(kind.service, error_kind(e), describe(e))
        except AWS_ERRORS as e:
            return Failed(kind.service, error_kind(e), describe(e))
        if configuration is None:
            return Missing("not listed")
        return Found(jsonable(configuration), ConfigurationSource.DESCRIBE)
