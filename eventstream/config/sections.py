"""The sections of the settings that every command shares: Redis, the journal, the inventory
and the pipeline. Every field is documented; unknown fields are rejected."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from eventstream.journal.keys import DEFAULT_PREFIX

_SCHEMES = ("redis://", "rediss://", "unix://", "redis+cluster://", "rediss+cluster://")


class Section(BaseModel):
    """A table of the configuration: frozen, unknown fields rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RedisSettings(Section):
    """Where the inventory and the journal live."""

    url: str | None = Field(
        None,
        description="Redis to use (redis://, rediss:// or unix://), any Redis 6.2+; for a "
        "Redis Cluster, redis+cluster:// (or rediss+cluster://) and any node. "
        "None: start an embedded redis-server for the run, keeping its data in `data_dir`.",
    )
    key_prefix: str = Field(
        DEFAULT_PREFIX,
        min_length=1,
        pattern=r"^[^{}\s]+$",
        description="Prefix of every key, also their Redis Cluster hash tag; deployments "
        "sharing a Redis use different prefixes.",
    )
    data_dir: Path = Field(
        Path(".eventstream/redis"),
        description="Folder of the embedded Redis: its append-only file and its socket.",
    )
    server_binary: str = Field(
        "redis-server",
        min_length=1,
        description="The embedded Redis binary: a path, or a name looked up on PATH.",
    )
    connect_timeout_s: float = Field(
        5.0, gt=0, description="Deadline to connect to Redis, or for the embedded one to start."
    )
    command_timeout_s: float = Field(
        30.0, gt=0, description="Deadline of one round trip to Redis (a whole commit batch)."
    )

    max_connections: int = Field(
        64,
        ge=2,
        description="Connections of one process's pool (journal reader, replays, REST, "
        "commits); a burst of requests beyond it waits for a free connection.",
    )
    pool_timeout_s: float = Field(
        10.0, gt=0, description="How long a request waits for a free Redis connection."
    )

    @field_validator("url")
    @classmethod
    def _scheme(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(_SCHEMES):
            raise ValueError("must start with " + ", ".join(_SCHEMES))
        return value


class JournalSettings(Section):
    """The journal stream and the idempotent commit."""

    max_length: int = Field(
        1_000_000,
        ge=0,
        description="Keep about this many journal entries (trimmed approximately); 0: no limit.",
    )
    max_age_s: int = Field(
        7 * 86_400,
        ge=0,
        description="Trim journal entries older than this many seconds; 0: no age limit.",
    )
    dedup_ttl_s: int = Field(
        7 * 86_400,
        ge=1,
        description="How long a committed (provider event, asset) pair is remembered, so that "
        "the same event arriving again is not journaled twice.",
    )
    batch_size: int = Field(
        500,
        ge=1,
        le=100_000,
        description="Events committed per round trip (pipelined atomic commits).",
    )


class InventorySettings(Section):
    """The per-asset state beside the journal."""

    history_depth: int = Field(
        32,
        ge=1,
        le=10_000,
        description="Versions kept per asset, the current one included. An event older than "
        "every kept version gets no previous configuration.",
    )


class PipelineSettings(Section):
    """Sources → normalize → commit → acknowledge, in batches."""

    batch_max_events: int = Field(
        500, ge=1, le=100_000, description="Asset events gathered before a batch is committed."
    )
    batch_max_wait_s: float = Field(
        0.05,
        gt=0,
        le=60,
        description="Longest a record waits in a partial batch before the batch is committed.",
    )
    queue_max_records: int = Field(
        2_000,
        ge=1,
        description="Records read ahead of the commit (all sources together); a source waits "
        "when the queue is full (back-pressure).",
    )
    max_line_bytes: int = Field(
        64 * 2**20,
        ge=1024,
        description="Longest JSON line read from a file; a longer line is quarantined.",
    )
    max_document_bytes: int = Field(
        256 * 2**20,
        ge=1024,
        description="Largest single JSON document (an S3 export file) read whole, after "
        "decompression; a larger one is quarantined.",
    )
    quarantine_max_entries: int = Field(
        10_000, ge=1, description="Quarantined records kept in Redis (the oldest are trimmed)."
    )
    quarantine_record_bytes: int = Field(
        64 * 1024, ge=256, description="First bytes of a quarantined record kept with it."
    )
    shutdown_timeout_s: float = Field(
        10.0,
        gt=0,
        description="On SIGTERM or SIGINT, the longest the process takes to stop: the batch in "
        "flight is committed or abandoned, then everything is closed.",
    )
