"""`[describe]`: live configuration fetched from AWS after each change, before its commit."""

from __future__ import annotations

from pydantic import Field

from eventstream.config.sections import Section


class DescribeSettings(Section):
    """Fetch each changed asset's configuration from AWS (explicit describe calls, else the
    Cloud Control API) before the commit, so that events carry `configuration`,
    `previous_configuration` and `changes`. Credentials come from the default chain; without
    them the pipeline runs on, says so once in the log, and events keep what they carried."""

    enabled: bool = Field(False, description="Describe each changed asset before its commit.")
    endpoint_url: str | None = Field(
        None,
        description="One endpoint for every describe call (moto, LocalStack); None: botocore's "
        "endpoint settings (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_EC2`, ...) decide.",
    )
    timeout_s: float = Field(
        5.0,
        gt=0,
        le=300,
        description="Time budget of one batch's describe calls, retries included; past it the "
        "batch is committed with what its events carried.",
    )
    delay_s: float = Field(
        0.0,
        ge=0,
        le=60,
        description="Wait before describing, so that a burst of changes makes one call.",
    )
    max_concurrency_per_service: int = Field(
        8, ge=1, le=256, description="Describe calls in flight at once per AWS service."
    )
    cloudcontrol: bool = Field(
        True,
        description="Describe every other type with a CloudFormation schema through the Cloud "
        "Control API (`GetResource`); a type it cannot read is skipped and counted "
        "(`cloudcontrol_unsupported`).",
    )
    max_attempts: int = Field(
        4,
        ge=1,
        le=20,
        description="Attempts per asset (throttling, not visible yet after a create), within "
        "`timeout_s`.",
    )
