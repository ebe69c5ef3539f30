"""Settings of EventStream: a TOML file (`--config FILE`) and environment variables, validated.

One pydantic model per section; every field is documented and unknown fields are rejected.
Sources, later ones winning:

1. the defaults below;
2. the TOML file, one table per section (`[redis]`, `[journal]`, `[inventory]`);
3. environment variables: `REDIS_URL` for `redis.url`, and `EVENTSTREAM_<SECTION>__<FIELD>`
   (double underscore) for any field, e.g. `EVENTSTREAM_JOURNAL__MAX_AGE_S=3600`.

A bad value raises `ConfigError` naming the field and where it came from. A new section (the
server's `[serve]`, say) is one more sub-model field of `Settings`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from eventstream.errors import ConfigError
from eventstream.journal.keys import DEFAULT_PREFIX

ENV_PREFIX = "EVENTSTREAM_"
ENV_SEPARATOR = "__"
REDIS_URL_ENV = "REDIS_URL"
_SCHEMES = ("redis://", "rediss://", "unix://", "redis+cluster://", "rediss+cluster://")
FOREIGN_SECTIONS = ("serve",)
"""Tables of the same file validated by their own modules (`serve.settings`)."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RedisSettings(_Section):
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

    @field_validator("url")
    @classmethod
    def _scheme(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(_SCHEMES):
            raise ValueError("must start with " + ", ".join(_SCHEMES))
        return value


class JournalSettings(_Section):
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


class InventorySettings(_Section):
    """The per-asset state beside the journal."""

    history_depth: int = Field(
        32,
        ge=1,
        le=10_000,
        description="Versions kept per asset, the current one included. An event older than "
        "every kept version gets no previous configuration.",
    )


class Settings(_Section):
    """Every section of the configuration."""

    redis: RedisSettings = Field(default_factory=RedisSettings)
    journal: JournalSettings = Field(default_factory=JournalSettings)
    inventory: InventorySettings = Field(default_factory=InventorySettings)


def load_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Settings from defaults, then the TOML file at `path`, then the environment."""
    env = os.environ if environ is None else environ
    document: dict[str, Any] = _read_toml(path) if path is not None else {}
    for section in FOREIGN_SECTIONS:
        document.pop(section, None)
    origins: dict[tuple[str, str], str] = {}
    for (section, name), (variable, value) in _from_environment(env).items():
        table = document.setdefault(section, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{variable}: [{section}] in config={path} is not a table")
        table[name] = value
        origins[(section, name)] = variable
    try:
        return Settings.model_validate(document)
    except ValidationError as error:
        raise ConfigError(_describe(error, path, origins)) from None


def with_options(settings: Settings, **options: Any) -> Settings:
    """`settings` with command-line options applied, validated like the file's values.

    `options` maps a `section__field` name (e.g. `redis__url`) to its value; None means the
    option was not given. A bad value raises `ConfigError` naming the option.
    """
    document = settings.model_dump()
    given: dict[tuple[str, str], str] = {}
    for name, value in options.items():
        if value is None:
            continue
        section, _, field = name.partition(ENV_SEPARATOR)
        document[section][field] = value
        given[(section, field)] = "--" + field.replace("_", "-")
    try:
        return Settings.model_validate(document)
    except ValidationError as error:
        raise ConfigError(_describe(error, None, given)) from None


def _read_toml(path: str | Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"config={path}: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config={path}: not valid TOML: {error}") from None


def _from_environment(env: Mapping[str, str]) -> dict[tuple[str, str], tuple[str, str]]:
    """(section, field) → (variable, value) for `REDIS_URL` and `EVENTSTREAM_<S>__<F>`."""
    found: dict[tuple[str, str], tuple[str, str]] = {}
    if env.get(REDIS_URL_ENV):
        found[("redis", "url")] = (REDIS_URL_ENV, env[REDIS_URL_ENV])
    for variable, value in env.items():
        if not variable.startswith(ENV_PREFIX) or ENV_SEPARATOR not in variable:
            continue  # e.g. EVENTSTREAM_CORPUS: not a setting
        section, _, name = variable[len(ENV_PREFIX) :].lower().partition(ENV_SEPARATOR)
        if section not in Settings.model_fields:
            raise ConfigError(f"{variable}: unknown section {section!r}")
        found[(section, name)] = (variable, value)
    return found


def _describe(
    error: ValidationError, path: str | Path | None, origins: dict[tuple[str, str], str]
) -> str:
    """One line per problem: the field's dotted name, where it was set, and what is wrong."""
    lines = []
    for detail in error.errors():
        location = tuple(str(part) for part in detail["loc"])
        field = ".".join(location)
        where = origins.get((location[0], location[1])) if len(location) >= 2 else None
        source = where or (f"config={path}" if path is not None else "defaults")
        lines.append(f"{field} ({source}): {detail['msg']}")
    return "invalid settings: " + "; ".join(lines)
