"""What fetching one asset's live configuration can give, and the narrow interfaces between
the fetchers (describe calls, Cloud Control) and where their AWS clients come from (one
account or many, through assumed roles)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from eventstream.models.event import ConfigurationSource

GLOBAL = "global"  # the region of global services' assets (IAM, S3 names, CloudFront)


@dataclass(frozen=True, slots=True)
class Target:
    """One asset to describe, as its event names it (`data.asset`)."""

    asset_type: str  # CloudFormation type name, e.g. AWS::EC2::SecurityGroup
    provider_id: str  # the provider's identifier: an id, a name or an ARN
    arn: str | None
    account: str
    region: str  # `global` for global services

    def describe(self) -> str:
        return f"{self.asset_type} {self.provider_id} (account {self.account}, {self.region})"


@dataclass(frozen=True, slots=True)
class Found:
    """The asset exists; its configuration as the provider reports it now."""

    configuration: dict[str, Any]
    source: ConfigurationSource  # DESCRIBE or CLOUDCONTROL


@dataclass(frozen=True, slots=True)
class Missing:
    """The provider says the asset does not exist (not visible yet after a create, or gone)."""

    detail: str = ""


@dataclass(frozen=True, slots=True)
class Skipped:
    """Not fetched, for a reason that will not change by retrying (a counted label:
    `unsupported_type`, `cloudcontrol_unsupported`, `account_not_configured`, ...)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Failed:
    """The call failed: `kind` is `eventstream.sources.aws.error_kind`'s label (throttled,
    access_denied, expired_credentials, no_credentials, unreachable, ...)."""

    service: str
    kind: str
    detail: str = ""

    @property
    def retryable(self) -> bool:
        return self.kind in {"throttled", "unreachable", "other", "expired_credentials"}


Outcome = Found | Missing | Skipped | Failed


class Clients(Protocol):
    """Where fetchers get AWS clients: open aiobotocore clients, cached and owned by the
    implementation (closed by its `close()`), for one service in one account and region."""

    async def client(self, service: str, *, account: str, region: str) -> Any: ...

    async def close(self) -> None: ...


class ClientsError(Exception):
    """Why `Clients.client` gives no client for an account; `outcome()` is what a fetcher
    reports for the asset instead (the implementation's AWS failures come wrapped in these,
    so a fetcher needs no knowledge of STS or Organizations)."""

    def outcome(self) -> Outcome:
        raise NotImplementedError


class AccountNotConfigured(ClientsError):
    """The asset's account is not among the configured (or Organizations') accounts."""

    def __init__(self, account: str) -> None:
        super().__init__(f"account {account or '(none)'} is not configured in [accounts]")
        self.account = account

    def outcome(self) -> Outcome:
        return Skipped("account_not_configured")


class AssumeRoleError(ClientsError):
    """The account's role could not be assumed (`kind`: access_denied, throttled, ...)."""

    def __init__(self, account: str, role_arn: str, kind: str, detail: str) -> None:
        super().__init__(f"cannot assume {role_arn} for account {account}: {detail}")
        self.account = account
        self.role_arn = role_arn
        self.kind = kind
        self.detail = detail

    def outcome(self) -> Outcome:
        return Failed("sts", self.kind, str(self))


class CredentialsError(ClientsError):
    """A call the implementation makes for itself failed (`sts` GetCallerIdentity, the
    `organizations` account list), so no account can be decided on."""

    def __init__(self, service: str, kind: str, detail: str) -> None:
        super().__init__(f"{service}: {detail}")
        self.service = service
        self.kind = kind
        self.detail = detail

    def outcome(self) -> Outcome:
        return Failed(self.service, self.kind, str(self))


async def open_client(clients: Clients, service: str, target: Target, region: str) -> Any:
    """`clients.client(service)` for the target's account in `region`, or the `Outcome` to
    report instead when the account cannot be read (not configured, role not assumable):
    `if isinstance(made, Outcome): return made`."""
    try:
        return await clients.client(service, account=target.account, region=region)
    except ClientsError as e:
        return e.outcome()


class Fetcher(Protocol):
    """Fetches one asset's configuration (no retries, no caching: the caller does those)."""

    def supports(self, asset_type: str) -> bool: ...

    async def fetch(self, target: Target, clients: Clients) -> Outcome: ...
