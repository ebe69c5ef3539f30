"""`[sync]`: the inventory sync (`eventstream inventory sync`, and periodically from `serve`
and `ingest`)."""

from __future__ import annotations

from pydantic import Field, field_validator

from eventstream.config.sections import Section
from eventstream.enrich.sync.listers import unsupported, unsupported_message


class SyncSettings(Section):
    """List and describe every supported resource and seed the inventory with it; report
    what changed without a CloudTrail record as drift. Accounts come from `[accounts]` (else
    the credentials' own), endpoints and credentials as for `[describe]`."""

    interval_s: float = Field(
        0.0,
        ge=0,
        description="Run a sync this often from `serve` and `ingest` (0: never; a sync is "
        "also run by `eventstream inventory sync`). One replica syncs at a time.",
    )
    regions: list[str] = Field(
        default_factory=list,
        description="Regions to list (global types are listed once per account); empty: the "
        "`[accounts]` regions, else the default region of the AWS configuration.",
    )
    types: list[str] = Field(
        default_factory=list,
        description="Asset types to sync (CloudFormation names); empty: every type with an "
        "explicit describe call. Other CloudFormation types with one primary identifier are "
        "listed and read through Cloud Control when named here.",
    )
    concurrency: int = Field(8, ge=1, le=256, description="Describe calls in flight at once.")
    drift_grace_s: float = Field(
        900.0,
        ge=0,
        le=86_400,
        description="A difference between AWS and the inventory is reported as drift once "
        "seen this long on the same version (CloudTrail records arrive minutes after the "
        "call); 0: at once.",
    )

    @field_validator("types")
    @classmethod
    def _known_types(cls, value: list[str]) -> list[str]:
        unknown = unsupported(value)
        if unknown:
            raise ValueError(unsupported_message(unknown))
        return value
