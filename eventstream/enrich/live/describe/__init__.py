"""Explicit describe calls per service family, as `Fetcher`s (`describers()`)."""

from __future__ import annotations

from eventstream.enrich.live.describe import ec2, iam, s3, services
from eventstream.enrich.live.describe.base import Describer
from eventstream.enrich.live.outcome import Fetcher


def describer() -> Describer:
    """One fetcher for every asset type a describe family knows."""
    return Describer({**ec2.KINDS, **s3.KINDS, **iam.KINDS, **services.KINDS})


def describers() -> dict[str, Fetcher]:
    """Asset type (CloudFormation name) to the fetcher that describes it."""
    one = describer()
    return dict.fromkeys(one.kinds, one)
