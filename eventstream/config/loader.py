"""Loading `Settings`: a TOML file (`--config FILE`), environment variables and command-line
options, validated by one model with one error format.

Where values come from, later ones winning:

1. the defaults of the models;
2. the TOML file, one table per section (`[redis]`, `[journal]`, `[inventory]`, `[pipeline]`,
   `[serve]`) and the lists `[[sources]]` and `[[webhooks]]`;
3. environment variables: `REDIS_URL` for `redis.url`, and `EVENTSTREAM_<SECTION>__<FIELD>`
   (double underscore) for any field of a section, e.g. `EVENTSTREAM_JOURNAL__MAX_AGE_S=3600`;
4. command-line options (`with_options`).

A bad value raises `ConfigError`: `invalid settings: <field> (<where>): <what is wrong>`, where
`<field>` is the dotted name (`journal.max_age_s`, `sources.0.paths` for the first
`[[sources]]` table) and `<where>` is `config=<file>`, the variable's name, the option
(`--port`, `--ingest`) or `defaults`. A file that cannot be read or parsed is reported the same
way, with `config file` as the field.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from eventstream.config.settings import Settings
from eventstream.errors import ConfigError

ENV_PREFIX = "EVENTSTREAM_"
ENV_SEPARATOR = "__"
REDIS_URL_ENV = "REDIS_URL"
LIST_SECTIONS = ("sources", "webhooks")
"""Lists of tables: set in the file (or by options), not by environment variables."""
TAGGED_LISTS = ("sources",)
"""Lists whose tables are a union by `type`: pydantic puts the tag in an error's location."""
PREFIX = "invalid settings: "
FILE_FIELD = "config file"
"""The field named when the file itself cannot be read or parsed."""


def load_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Settings from defaults, then the TOML file at `path`, then the environment."""
    env = os.environ if environ is None else environ
    document: dict[str, Any] = _read_toml(path) if path is not None else {}
    origins: dict[tuple[str, str], str] = {}
    for (section, name), (variable, value) in _from_environment(env).items():
        table = document.setdefault(section, {})
        if not isinstance(table, dict):
            raise _error(section, f"config={path}", f"not a table, so {variable} cannot set it")
        table[name] = value
        origins[(section, name)] = variable
    try:
        return Settings.model_validate(document)
    except ValidationError as error:
        raise ConfigError(_describe(error, path, origins)) from None


def with_options(settings: Settings, **options: Any) -> Settings:
    """`settings` with command-line options applied, validated like the file's values.

    `options` maps a `section__field` name (e.g. `redis__url`) to its value; None means the
    option was not given. `sources` is a list of `(option, table)` pairs appended to
    `[[sources]]` (e.g. `("--demo", {"type": "demo"})`). A bad value raises `ConfigError`
    naming the option.
    """
    document = settings.model_dump()
    given: dict[tuple[str, str], str] = {}
    for name, value in options.items():
        if value is None:
            continue
        if name == "sources":
            for option, table in value:
                given[("sources", str(len(document["sources"])))] = option
                document["sources"].append(table)
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
        raise _error(FILE_FIELD, f"config={path}", str(error.strerror or error)) from None
    except tomllib.TOMLDecodeError as error:
        raise _error(FILE_FIELD, f"config={path}", f"not valid TOML: {error}") from None


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
            known = ", ".join(s for s in Settings.model_fields if s not in LIST_SECTIONS)
            raise _error(section, variable, f"unknown section; expected one of {known}")
        if section in LIST_SECTIONS:
            raise _error(
                section,
                variable,
                f"[[{section}]] is a list of tables, set in the configuration file "
                "(or by command-line options), not by environment variables",
            )
        found[(section, name)] = (variable, value)
    return found


def _error(field: str, where: str, message: str) -> ConfigError:
    return ConfigError(f"{PREFIX}{field} ({where}): {message}")


def _describe(
    error: ValidationError, path: str | Path | None, origins: dict[tuple[str, str], str]
) -> str:
    """One line per problem: the field's dotted name, where it was set, and what is wrong."""
    lines = []
    for detail in error.errors():
        location = _location(detail["loc"])
        where = origins.get((location[0], location[1])) if len(location) >= 2 else None
        source = where or (f"config={path}" if path is not None else "defaults")
        message = detail["msg"].removeprefix("Value error, ")
        lines.append(f"{'.'.join(location)} ({source}): {message}")
    return PREFIX + "; ".join(lines)


def _location(loc: tuple[int | str, ...]) -> tuple[str, ...]:
    """The dotted parts of a field's location, without the union's tag that pydantic inserts
    after a list index (`sources.0.files.paths` is `sources.0.paths`: the tag is the table's
    own `type`)."""
    parts = tuple(str(part) for part in loc)
    if len(parts) >= 3 and parts[0] in TAGGED_LISTS and isinstance(loc[1], int):
        return parts[:2] + parts[3:]
    return parts
