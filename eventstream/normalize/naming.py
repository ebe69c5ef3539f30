"""Stable asset names and types.

An asset's name is `aws/<account>/<region>/<service>/<kind>/<id>`, where `region` is `global`
for global services (IAM, S3 bucket names, Route 53...). The same asset gets the same name from
every event that touches it, whether the event names it by id, by name or by ARN: each `Kind`
knows how to turn any of those into its canonical id.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

GLOBAL_REGION = "global"
_PLAIN_UTC = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
# RFC 3339 `date-time` (section 5.6): ASCII digits only, `T` and `Z` in either case, fraction
# of any length, `Z` or a numeric offset.
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
    r"(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))"
)
GENERIC_TYPE_PREFIX = "AWS::Generic::"


def _same(value: str) -> str:
    return value


def last_segment(value: str) -> str:
    """`role/service-role/name` → `name` (IAM names are unique whatever their path)."""
    return value.rsplit("/", 1)[-1]


@dataclass(frozen=True, slots=True, eq=False)
class Kind:
    """One asset type: its CloudFormation name, its place in asset names, and its ARN shape.

    `arn_resource` is the resource-type word of the ARN (`instance` in
    `arn:aws:ec2:r:a:instance/i-1`), or "" when the ARN's resource is the bare id (S3, SNS, SQS).
    `from_arn` turns what follows that word into the canonical id; `canonical` turns an id or name
    found in a request into the canonical id. Kinds compare and hash by identity: each is defined
    once, in its family's module.
    """

    type: str
    service: str
    slug: str
    arn_resource: str | None = None
    arn_service: str = ""
    global_: bool = False
    id_prefix: str | None = None
    from_arn: Callable[[str], str] = _same
    canonical: Callable[[str], str] = _same
    arn_template: str | None = field(default=None)

    @property
    def generic(self) -> bool:
        return self.type.startswith(GENERIC_TYPE_PREFIX)

    def arn_for(self, provider_id: str, account: str, region: str) -> str | None:
        if self.arn_template is None:
            return None
        return self.arn_template.format(id=provider_id, account=account, region=region)


class AssetRef(NamedTuple):
    """A resolved asset: what the `asset` object of an event says (a tuple: built per event)."""

    name: str
    type: str
    provider_id: str
    arn: str | None
    account: str
    region: str

    @property
    def generic(self) -> bool:
        return self.type.startswith(GENERIC_TYPE_PREFIX)

    def as_dict(self) -> dict[str, str | None]:
        return {
            "name": self.name,
            "type": self.type,
            "provider": "aws",
            "provider_id": self.provider_id,
            "arn": self.arn,
            "account": self.account,
            "region": self.region,
        }


@dataclass(frozen=True, slots=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    @property
    def resource_type(self) -> str:
        """The resource-type word, or "" when the resource has no separator."""
        for index, char in enumerate(self.resource):
            if char in "/:":
                return self.resource[:index]
        return ""

    @property
    def resource_rest(self) -> str:
        """What follows the resource-type word and its separator."""
        kind = self.resource_type
        return self.resource[len(kind) + 1 :] if kind else self.resource


def parse_arn(value: str) -> Arn | None:
    """Split an ARN into its parts; None when the string is not an ARN."""
    if not value.startswith("arn:"):
        return None
    parts = value.split(":", 5)
    if len(parts) != 6 or not parts[2] or not parts[5]:
        return None
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])


def asset_name(kind: Kind, account: str, region: str, canonical_id: str) -> str:
    return f"aws/{account}/{region}/{kind.service}/{kind.slug}/{canonical_id}"


def make_ref(
    kind: Kind, canonical_id: str, account: str, region: str, arn: str | None = None
) -> AssetRef:
    """An `AssetRef` for an id already in canonical form."""
    place = GLOBAL_REGION if kind.global_ else (region or GLOBAL_REGION)
    return AssetRef(
        name=asset_name(kind, account, place, canonical_id),
        type=kind.type,
        provider_id=canonical_id,
        arn=arn if arn is not None else kind.arn_for(canonical_id, account, place),
        account=account,
        region=place,
    )


def generic_kind(service: str, resource_type: str) -> Kind:
    """The stand-in kind for an ARN of a type no table knows; its type says `Generic`."""
    slug = resource_type or "resource"
    return Kind(
        type=f"{GENERIC_TYPE_PREFIX}{service}/{slug}",
        service=service,
        slug=slug,
        arn_resource=resource_type,
        arn_service=service,
    )


def rfc3339_millis(value: str) -> str:
    """An RFC 3339 date-time → `YYYY-MM-DDTHH:MM:SS.mmmZ` in UTC; raises ValueError otherwise.

    Strict where it matters: ASCII digits only, real calendar dates and times (no month 13, no
    year 0000), a `Z` or an offset; `t` and `z` may be lower case, as RFC 3339 allows. A leap
    second (`:60`) is read as the last millisecond of its minute.
    """
    if len(value) == 20 and _PLAIN_UTC.fullmatch(value) and value[17] != "6":
        datetime(  # the common shape: raises ValueError for a date or time that does not exist
            int(value[:4]),
            int(value[5:7]),
            int(value[8:10]),
            int(value[11:13]),
            int(value[14:16]),
            int(value[17:19]),
        )
        return f"{value[:19]}.000Z"
    match = _RFC3339.fullmatch(value)
    if match is None:
        raise ValueError("not an RFC 3339 date-time")
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    fraction = match.group(7) or ""
    micros = int((fraction[1:] + "000000")[:6]) if fraction else 0
    if second == 60:  # a leap second: RFC 3339 allows it, `datetime` does not
        second, micros = 59, 999_000
    parsed = datetime(year, month, day, hour, minute, second, micros, tzinfo=UTC)
    if match.group(9):
        offset_hours, offset_minutes = int(match.group(10)), int(match.group(11))
        if offset_hours > 23 or offset_minutes > 59:
            raise ValueError("offset out of range")
        sign = 1 if match.group(9) == "+" else -1
        try:
            parsed -= sign * timedelta(hours=offset_hours, minutes=offset_minutes)
        except OverflowError:
            raise ValueError("out of range in UTC") from None
    return parsed.isoformat(timespec="milliseconds").replace("+00:00", "Z")
