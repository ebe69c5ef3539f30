"""`[accounts]`: the AWS accounts and regions EventStream reads, through a role assumed in each.

Without a `role_arn_template` there is one account, the default credential chain's own; with
one, every other account is read through the role the template names in it (STS `AssumeRole`),
the home account (the credentials' own) still through the default chain."""

from __future__ import annotations

import os
import re
import string
from collections.abc import Mapping

from pydantic import Field, field_validator, model_validator

from eventstream.config.sections import Section
from eventstream.errors import ConfigError

PLACEHOLDER = "account_id"
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


class AccountsSettings(Section):
    """Which accounts and regions to read, and how to get credentials for each."""

    role_arn_template: str | None = Field(
        None,
        description="The role assumed in each account, with `{account_id}` for the account, "
        "e.g. `arn:aws:iam::{account_id}:role/EventStreamReader`. None: one account, the "
        "default credential chain's own.",
    )
    external_id: str | None = Field(
        None,
        min_length=2,
        max_length=1224,
        description="The external id the role's trust policy requires (`sts:ExternalId`).",
    )
    external_id_env: str | None = Field(
        None,
        min_length=1,
        description="The environment variable holding the external id (instead of "
        "`external_id`, to keep it out of the file).",
    )
    session_name: str = Field(
        "eventstream",
        pattern=r"^[\w+=,.@-]{2,64}$",
        description="The role session name, as the accounts' CloudTrail shows it.",
    )
    session_duration_s: int = Field(
        3600,
        ge=900,
        le=43_200,
        description="Lifetime asked for each assumed session (at most the role's maximum).",
    )
    renew_before_s: int = Field(
        300,
        ge=0,
        le=3600,
        description="Assume the role again this long before the session expires; a client "
        "handed out stays valid at least this long.",
    )
    ids: list[str] = Field(
        default_factory=list,
        description="The accounts to read (12-digit ids), besides the home account.",
    )
    from_organizations: bool = Field(
        False,
        description="Also read every ACTIVE account AWS Organizations lists (`ListAccounts`, "
        "with the default credentials: the management or a delegated administrator account).",
    )
    regions: list[str] = Field(
        default_factory=list,
        description="Regions to read (the inventory sync); empty: each event's own region, and "
        "the default region for a sync.",
    )
    sts_endpoint_url: str | None = Field(
        None,
        description="STS endpoint (AssumeRole, GetCallerIdentity); None: `endpoint_url`, else "
        "botocore's endpoint settings.",
    )
    endpoint_url: str | None = Field(
        None,
        description="One endpoint for STS and Organizations (moto, LocalStack); None: "
        "botocore's endpoint settings (`AWS_ENDPOINT_URL_STS`, ...).",
    )

    @field_validator("role_arn_template")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        try:
            fields = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        except ValueError as e:
            raise ValueError(f"is not a valid template ({e})") from None
        if fields != {PLACEHOLDER}:
            raise ValueError(
                "must contain `{account_id}` and no other placeholder, e.g. "
                "arn:aws:iam::{account_id}:role/EventStreamReader"
            )
        arn = value.format(account_id="123456789012")
        if not re.match(r"^arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]+$", arn):
            raise ValueError(f"must make an IAM role ARN (gives {arn!r})")
        return value

    @field_validator("ids")
    @classmethod
    def _ids(cls, value: list[str]) -> list[str]:
        bad = [account for account in value if not _ACCOUNT_ID.match(account)]
        if bad:
            raise ValueError(f"account ids are 12 digits (quoted in TOML): {bad}")
        return list(dict.fromkeys(value))

    @field_validator("regions")
    @classmethod
    def _regions(cls, value: list[str]) -> list[str]:
        bad = [region for region in value if not _REGION.match(region)]
        if bad:
            raise ValueError(f"not region names (e.g. eu-west-1): {bad}")
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _consistent(self) -> AccountsSettings:
        if self.external_id is not None and self.external_id_env is not None:
            raise ValueError("set external_id or external_id_env, not both")
        if self.role_arn_template is None and (self.ids or self.from_organizations):
            raise ValueError("ids and from_organizations need a role_arn_template")
        if self.renew_before_s >= self.session_duration_s:
            raise ValueError("renew_before_s must be shorter than session_duration_s")
        return self

    @property
    def enabled(self) -> bool:
        """Roles are assumed (many accounts)."""
        return self.role_arn_template is not None

    def role_arn(self, account: str) -> str:
        if self.role_arn_template is None:
            raise ConfigError("accounts: no role_arn_template")
        return self.role_arn_template.format(account_id=account)

    def resolved_external_id(self, environ: Mapping[str, str] | None = None) -> str | None:
        """`external_id`, or the value of `external_id_env` (a ConfigError when it is unset)."""
        if self.external_id_env is None:
            return self.external_id
        value = (os.environ if environ is None else environ).get(self.external_id_env, "")
        if not value:
            raise ConfigError(f"accounts: external_id_env {self.external_id_env} is not set")
        return value

    def sts_endpoint(self) -> str | None:
        return self.sts_endpoint_url or self.endpoint_url
