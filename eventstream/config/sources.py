"""The `[[sources]]` tables: where raw records come from, one table per source, by `type`.

`files` and `demo` read local input; `sqs` (S3 exports and EventBridge events announced on
queues) and `cloudtrail_lookup` (LookupEvents polling) read an AWS account, with credentials
from botocore's default chain and endpoints from its settings (`AWS_ENDPOINT_URL`, ...) or the
source's `endpoint_url`. A source's `name` labels its metrics and quarantine entries
(default: its type, numbered when several share one).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, model_validator

from eventstream.config.sections import Section


class FilesSourceSettings(Section):
    """CloudTrail JSON lines, S3 export files, EventBridge envelopes, folders, or `-`."""

    type: Literal["files"]
    name: str = Field("", description="Label in metrics and quarantine (default: files).")
    paths: list[str] = Field(min_length=1, description="Files, folders, or - for stdin.")
    pace_s: float = Field(0.0, ge=0, description="Seconds between records (0: as fast as read).")


class DemoSourceSettings(Section):
    """The bundled sample trail at a steady pace, then a scripted live scenario."""

    type: Literal["demo"]
    name: str = Field("", description="Label in metrics and quarantine (default: demo).")
    sample: bool = Field(True, description="Replay the bundled sample trail first.")
    pace_s: float = Field(0.02, ge=0, description="Seconds between sample records.")
    step_s: float = Field(3.0, ge=0, description="Seconds between scenario steps.")
    rounds: int | None = Field(None, ge=0, description="Scenario rounds (None: forever).")


class SqsSourceSettings(Section):
    """S3 CloudTrail exports and EventBridge events announced on SQS queues."""

    type: Literal["sqs"]
    name: str = Field("", description="Label in metrics and quarantine (default: sqs).")
    queue_url: str = Field("", description="The queue to read (or several in `queue_urls`).")
    queue_urls: list[str] = Field(default_factory=list, description="More queues to read.")
    region: str | None = Field(
        None,
        description="AWS region of the queues and buckets (None: the first queue URL's, "
        "else the default chain's).",
    )
    endpoint_url: str | None = Field(
        None,
        description="Endpoint of SQS and S3 (moto, LocalStack, a VPC endpoint); None: "
        "botocore's settings (AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL).",
    )
    concurrency: int = Field(
        2, ge=1, le=64, description="Receive loops per queue, each with up to 10 messages."
    )
    wait_time_s: int = Field(20, ge=0, le=20, description="Long polling wait of one receive.")
    visibility_timeout_s: int = Field(
        300,
        ge=10,
        le=43_200,
        description="Visibility timeout asked for on receive; work on a message longer than "
        "half of it extends it.",
    )
    max_object_bytes: int = Field(
        256 * 2**20,
        ge=1024,
        description="Largest S3 object read (after decompression); a larger one is "
        "quarantined with its reason.",
    )
    max_receive_count: int = Field(
        5,
        ge=1,
        description="A message received more often than this (ApproximateReceiveCount), or "
        "still failing when received this often, is quarantined and deleted.",
    )
    retry_first_s: float = Field(
        1.0, gt=0, description="First backoff after a failure (doubled up to retry_max_s)."
    )
    retry_max_s: float = Field(300.0, gt=0, description="Longest backoff after failures.")
    trail_keys_only: bool = Field(
        True,
        description="Read only CloudTrail log files (AWSLogs/[o-.../]<account>/CloudTrail/"
        "...json.gz); other keys are skipped and counted.",
    )

    @model_validator(mode="after")
    def _some_queue(self) -> SqsSourceSettings:
        if not self.queues():
            raise ValueError("give queue_url or queue_urls")
        return self

    def queues(self) -> list[str]:
        return ([self.queue_url] if self.queue_url else []) + list(self.queue_urls)


class LookupSourceSettings(Section):
    """CloudTrail LookupEvents polling for write events, per region (no trail needed)."""

    type: Literal["cloudtrail_lookup"]
    name: str = Field("", description="Label in metrics and quarantine (default: the type).")
    regions: list[str] = Field(min_length=1, description="Regions to poll.")
    endpoint_url: str | None = Field(
        None, description="CloudTrail endpoint (None: botocore's settings)."
    )
    poll_interval_s: float = Field(60.0, gt=0, description="Seconds between polls of a region.")
    overlap_s: float = Field(
        300.0,
        ge=0,
        description="Each poll starts this long before the last checkpoint, for events that "
        "CloudTrail makes visible late (duplicates are absorbed by the journal).",
    )
    window_s: float = Field(
        3600.0, gt=0, description="Longest time window of one poll (a backfill is several)."
    )
    initial_lookback_s: float = Field(
        900.0, ge=0, description="Where a region without a checkpoint starts (seconds ago)."
    )
    since: AwareDatetime | None = Field(
        None,
        description="Start here instead of the checkpoint (`eventstream ingest --since`).",
    )
    requests_per_s: float = Field(
        2.0, gt=0, le=2.0, description="LookupEvents calls per second and region (AWS: 2)."
    )
    retry_first_s: float = Field(1.0, gt=0, description="First backoff after a failure.")
    retry_max_s: float = Field(60.0, gt=0, description="Longest backoff after failures.")


SourceSettings = Annotated[
    FilesSourceSettings | DemoSourceSettings | SqsSourceSettings | LookupSourceSettings,
    Field(discriminator="type"),
]
