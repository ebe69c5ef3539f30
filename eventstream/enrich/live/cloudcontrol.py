"""The Cloud Control API as a `Fetcher`: the CloudFormation-shaped properties of every asset
type that has a CloudFormation schema and no explicit describe call (`GetResource`), and the
listing of one type's resources (`ListResources`) for the inventory sync.

Cloud Control names a resource by its primary identifier: the values of the schema's
`primaryIdentifier` properties, joined by `|` in the schema's order. The normalizer's
`provider_id` is an id, a name or an ARN, and for a type with several identifiers the derived
resolver's `<parent>/<id>` (`identifier` below turns one into the other, or skips the asset
when it cannot, rather than asking for the wrong resource).

A type Cloud Control cannot read (no read handler, not in the registry, a handler that
rejects the request) is `Skipped("cloudcontrol_unsupported")`: retrying would not help, and
the stage counts it per service under that reason.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from eventstream import codec
from eventstream.enrich.live.describe.base import client_region, name_of
from eventstream.enrich.live.outcome import (
    Clients,
    Failed,
    Found,
    Missing,
    Outcome,
    Skipped,
    Target,
    open_client,
)
from eventstream.models.event import ConfigurationSource
from eventstream.normalize.derived import DerivedTable, DerivedType, load_table
from eventstream.normalize.naming import parse_arn
from eventstream.sources.aws import AWS_ERRORS, describe, error_code, error_kind

SERVICE = "cloudcontrol"
UNSUPPORTED = "cloudcontrol_unsupported"
NO_IDENTIFIER = "cloudcontrol_identifier"

_NOT_FOUND = frozenset({"ResourceNotFoundException"})
# the type cannot be read through Cloud Control, whatever the asset
_UNSUPPORTED = frozenset(
    {
        "UnsupportedActionException",  # no read (or list) handler
        "TypeNotFoundException",  # not in the CloudFormation registry of this region
        "PrivateTypeException",  # a private type whose handler answers nothing valid
        "InvalidRequestException",  # the handler rejects the request (identifier, shape)
        "GeneralServiceException",  # the downstream service's error no other code covers
    }
)
# a handler's passing trouble: worth another attempt (Failed kind `other` is retryable)
_TRANSIENT = frozenset(
    {
        "HandlerInternalFailureException",
        "HandlerFailureException",
        "ServiceInternalErrorException",
        "NetworkFailureException",
        "NotStabilizedException",
        "ResourceConflictException",
    }
)
_DENIED_WORDS = ("accessdenied", "access denied", "not authorized", "unauthorized")


def _failure(error: ClientError) -> Outcome:
    """What a Cloud Control error means to the stage (the codes are checked before
    `error_kind`, which calls every code it does not know `client_error`)."""
    code = error_code(error)
    detail = describe(error)
    if code in _NOT_FOUND:
        return Missing(detail)
    if code == "InvalidCredentialsException" or (
        code == "GeneralServiceException" and any(w in detail.lower() for w in _DENIED_WORDS)
    ):
        return Failed(SERVICE, "access_denied", detail)  # the downstream service said no
    if code in _UNSUPPORTED:
        return Skipped(UNSUPPORTED)
    if code in _TRANSIENT:
        return Failed(SERVICE, "other", detail)
    return Failed(SERVICE, error_kind(error), detail)


def identifier(derived: DerivedType | None, target: Target) -> str | None:
    """Cloud Control's `Identifier` of the asset, or None when its id cannot give one.

    One identifier property: the `provider_id`; if that is an ARN and the property is not one,
    the ARN's id (`_arn_id`); if the property is an ARN (`Arn`, `TopicArn`), the asset's ARN.
    Several: the `provider_id`'s `/`-separated parts (a parented type's `<parents>/<own>`)
    reordered into the schema's order and joined by `|`, when there are as many parts as
    properties."""
    if derived is None or not derived.identifiers:
        return None
    if len(derived.identifiers) == 1:
        if derived.identifiers[0].endswith("Arn"):
            if target.arn:
                return target.arn
            return target.provider_id if target.provider_id.startswith("arn:") else None
        return _arn_id(derived, target.provider_id)
    if target.provider_id.startswith("arn:"):
        return None
    parts = target.provider_id.split("/")
    order = derived.id_parts()
    if len(parts) != len(order) or not all(parts):
        return None
    values = dict(zip(order, parts, strict=True))
    return "|".join(values[name] for name in derived.identifiers)


def _arn_id(derived: DerivedType, value: str) -> str:
    """An ARN's id for its type: what follows the last type word of its resource
    (`log-group:/app/x:*` → `/app/x`, as the derived resolver reads it), else its last
    segment; a value that is no ARN is the id itself."""
    arn = parse_arn(value)
    if arn is None:
        return value
    resource = arn.resource.removesuffix(":*")
    segments = resource.replace(":", "/").split("/")
    for index in range(len(segments) - 2, -1, -1):
        if segments[index].lower() in derived.arn_words:
            return resource[len("/".join(segments[: index + 1])) + 1 :]
    return name_of(value)


@dataclass(frozen=True, slots=True)
class CloudControl:
    """A `Fetcher` through Cloud Control's `GetResource`, for the CloudFormation types that
    `explicit` (the types explicit describe calls cover) leaves out."""

    table: DerivedTable
    explicit: frozenset[str]

    @classmethod
    def for_types(
        cls, explicit: Collection[str], table: DerivedTable | None = None
    ) -> CloudControl:
        return cls(table or load_table(), frozenset(explicit))

    def supports(self, asset_type: str) -> bool:
        return asset_type in self.table.cloudformation_types and asset_type not in self.explicit

    def types(self) -> list[str]:
        """Every type this fetcher describes, sorted."""
        return sorted(t for t in self.table.cloudformation_types if t not in self.explicit)

    async def fetch(self, target: Target, clients: Clients) -> Outcome:
        wanted = identifier(self.table.types.get(target.asset_type), target)
        if wanted is None:
            return Skipped(NO_IDENTIFIER)
        try:
            made = await open_client(clients, SERVICE, target, client_region(target))
            if isinstance(made, Outcome):
                return made  # the account cannot be read (not configured, no role)
            got = await made.get_resource(TypeName=target.asset_type, Identifier=wanted)
            properties = codec.loads(got["ResourceDescription"]["Properties"])
        except ClientError as e:
            return _failure(e)
        except AWS_ERRORS as e:
            return Failed(SERVICE, error_kind(e), describe(e))
        except (KeyError, TypeError, codec.JSONDecodeError) as e:
            return Failed(SERVICE, "client_error", f"unreadable GetResource answer: {e!r}")
        if not isinstance(properties, dict):
            return Failed(SERVICE, "client_error", "GetResource properties are not an object")
        return Found(properties, ConfigurationSource.CLOUDCONTROL)


def fetchers(explicit: Collection[str]) -> dict[str, CloudControl]:
    """Asset type to the Cloud Control fetcher, for every CloudFormation type not in
    `explicit` (merge explicit describers over it: `{**fetchers(d), **d}`)."""
    one = CloudControl.for_types(explicit)
    return dict.fromkeys(one.types(), one)


async def list_resources(type_name: str, client: Any) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """Every resource of one type that Cloud Control lists, as (identifier, properties), one
    `ListResources` page at a time (`NextToken`). `client` is an open aiobotocore
    `cloudcontrol` client of the account and region to list; its errors propagate (the
    caller decides what an unsupported type or throttling means to a whole listing)."""
    token: str | None = None
    while True:
        asked: dict[str, Any] = {"TypeName": type_name}
        if token:
            asked["NextToken"] = token
        page = await client.list_resources(**asked)
        for found in page.get("ResourceDescriptions", []):
            properties = codec.loads(found.get("Properties") or "{}")
            yield str(found["Identifier"]), properties if isinstance(properties, dict) else {}
        token = page.get("NextToken")
        if not token:
            return
