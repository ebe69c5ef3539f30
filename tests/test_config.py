"""`eventstream.config.load_settings`: defaults, the TOML file, the environment, and errors
that name the field and where its value came from."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventstream.config import (
    InventorySettings,
    JournalSettings,
    LookupSourceSettings,
    RedisSettings,
    Settings,
    SqsSourceSettings,
    load_settings,
    with_options,
)
from eventstream.errors import ConfigError
from eventstream.journal.keys import DEFAULT_PREFIX


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "eventstream.toml"
    path.write_text(text)
    return path


def test_defaults() -> None:
    settings = load_settings(environ={})
    assert settings == Settings()
    assert settings.redis.url is None
    assert settings.redis.key_prefix == DEFAULT_PREFIX
    assert settings.redis.data_dir == Path(".eventstream/redis")
    assert settings.redis.server_binary == "redis-server"
    assert settings.journal.max_age_s == 7 * 86_400
    assert settings.journal.max_length == 1_000_000
    assert settings.journal.dedup_ttl_s == 7 * 86_400
    assert settings.journal.batch_size == 500
    assert settings.inventory.history_depth == 32


def test_unrelated_environment_is_ignored() -> None:
    """Variables without the prefix, or with it but no `__` (EVENTSTREAM_CORPUS), are not
    settings; an empty REDIS_URL means unset."""
    settings = load_settings(
        environ={"EVENTSTREAM_CORPUS": "/x", "HOME": "/root", "REDIS_URL": "", "JOURNAL__X": "1"}
    )
    assert settings == Settings()


def test_file_sections(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
[redis]
url = "redis://127.0.0.1:6390/2"
key_prefix = "prod"
data_dir = "/var/lib/es"
connect_timeout_s = 1.5

[journal]
max_length = 0
max_age_s = 3600
dedup_ttl_s = 60
batch_size = 7

[inventory]
history_depth = 4
""",
    )
    settings = load_settings(path, environ={})
    assert settings.redis == RedisSettings(
        url="redis://127.0.0.1:6390/2",
        key_prefix="prod",
        data_dir=Path("/var/lib/es"),
        connect_timeout_s=1.5,
    )
    assert settings.journal == JournalSettings(
        max_length=0, max_age_s=3600, dedup_ttl_s=60, batch_size=7
    )
    assert settings.inventory == InventorySettings(history_depth=4)
    assert load_settings(str(path), environ={}) == settings


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[redis]\nurl = "redis://file:6379"\n[journal]\nmax_age_s = 3600\nbatch_size = 9\n',
    )
    env = {"REDIS_URL": "unix:///tmp/r.sock", "EVENTSTREAM_JOURNAL__MAX_AGE_S": "120"}
    settings = load_settings(path, environ=env)
    assert settings.redis.url == "unix:///tmp/r.sock"
    assert settings.journal.max_age_s == 120
    assert settings.journal.batch_size == 9  # not overridden: the file's value stays


def test_environment_without_a_file() -> None:
    env = {
        "EVENTSTREAM_INVENTORY__HISTORY_DEPTH": "5",
        "EVENTSTREAM_REDIS__KEY_PREFIX": "blue",
        "EVENTSTREAM_REDIS__URL": "rediss://cache:6380",
    }
    settings = load_settings(environ=env)
    assert settings.inventory.history_depth == 5
    assert settings.redis.key_prefix == "blue"
    assert settings.redis.url == "rediss://cache:6380"


def test_process_environment_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTSTREAM_JOURNAL__BATCH_SIZE", "11")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1")
    settings = load_settings()
    assert settings.journal.batch_size == 11
    assert settings.redis.url == "redis://127.0.0.1:1"


def test_bad_environment_value_names_field_and_variable(tmp_path: Path) -> None:
    path = _write(tmp_path, "[journal]\nmax_age_s = 3600\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={"EVENTSTREAM_JOURNAL__MAX_AGE_S": "soon"})
    message = str(caught.value)
    assert "journal.max_age_s" in message
    assert "EVENTSTREAM_JOURNAL__MAX_AGE_S" in message
    assert f"config={path}" not in message


def test_bad_file_value_names_field_and_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "[journal]\nmax_age_s = -1\n[inventory]\nhistory_depth = 0\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    message = str(caught.value)
    assert f"journal.max_age_s (config={path})" in message
    assert f"inventory.history_depth (config={path})" in message


def test_wrong_type_in_file(tmp_path: Path) -> None:
    """A value of the wrong type in the file names the field and the file."""
    path = _write(tmp_path, '[journal]\nbatch_size = "many"\n')
    message = _refusal(path)
    assert message.startswith(f"invalid settings: journal.batch_size (config={path}): ")


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:6379", "127.0.0.1:6379", "redis:/x", "tcp://localhost:6379"],
)
def test_bad_redis_url_scheme(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"REDIS_URL": url})
    assert "redis.url" in str(caught.value)
    assert "REDIS_URL" in str(caught.value)
    path = _write(tmp_path, f'[redis]\nurl = "{url}"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert f"redis.url (config={path})" in str(caught.value)


@pytest.mark.parametrize(
    "url", ["redis://h:6379/0", "rediss://u:p@h:6380", "unix:///run/redis.sock"]
)
def test_good_redis_url_schemes(url: str) -> None:
    assert load_settings(environ={"REDIS_URL": url}).redis.url == url


def test_empty_url_in_file_means_embedded(tmp_path: Path) -> None:
    path = _write(tmp_path, '[redis]\nurl = ""\n')
    assert load_settings(path, environ={}).redis.url is None


def test_unknown_field_in_file_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, "[journal]\nmax_age = 3600\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert f"journal.max_age (config={path})" in str(caught.value)


def test_unknown_field_in_environment_is_rejected() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"EVENTSTREAM_JOURNAL__MAX_AGE": "1"})
    assert "journal.max_age" in str(caught.value)
    assert "EVENTSTREAM_JOURNAL__MAX_AGE" in str(caught.value)


def test_unknown_section_in_file_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, "[jornal]\nmax_age_s = 3600\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert "jornal" in str(caught.value)
    assert f"config={path}" in str(caught.value)


def test_unknown_section_in_environment_is_rejected() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"EVENTSTREAM_JORNAL__MAX_AGE_S": "1"})
    assert "EVENTSTREAM_JORNAL__MAX_AGE_S" in str(caught.value)
    assert "jornal" in str(caught.value)


def test_serve_table_is_validated(tmp_path: Path) -> None:
    """`[serve]` and `[[serve.tokens]]` are sections of the one model, validated with the rest."""
    path = _write(
        tmp_path,
        f"""
[redis]
key_prefix = "shared"

[serve]
port = 9000

[[serve.tokens]]
name = "ops"
sha256 = "{"0" * 64}"
accounts = ["*"]
""",
    )
    settings = load_settings(path, environ={})
    assert settings.redis.key_prefix == "shared"
    assert settings.serve.port == 9000
    assert [token.name for token in settings.serve.tokens] == ["ops"]


def test_section_that_is_not_a_table(tmp_path: Path) -> None:
    path = _write(tmp_path, "journal = 5\n")
    with pytest.raises(ConfigError, match="journal"):
        load_settings(path, environ={})
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={"EVENTSTREAM_JOURNAL__MAX_AGE_S": "1"})
    assert "EVENTSTREAM_JOURNAL__MAX_AGE_S" in str(caught.value)
    assert f"config={path}" in str(caught.value)


def test_bad_key_prefix(tmp_path: Path) -> None:
    """The prefix is the Cluster hash tag: braces and spaces are refused."""
    for prefix in ("a{b", "a b", ""):
        with pytest.raises(ConfigError, match=r"redis\.key_prefix"):
            load_settings(environ={"EVENTSTREAM_REDIS__KEY_PREFIX": prefix})


def test_missing_or_invalid_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as caught:
        load_settings(missing, environ={})
    assert f"config={missing}" in str(caught.value)
    broken = _write(tmp_path, "[journal\nmax_age_s = \n")
    with pytest.raises(ConfigError) as caught:
        load_settings(broken, environ={})
    assert f"config={broken}" in str(caught.value)
    assert "TOML" in str(caught.value)


def _refusal(path: Path | None, environ: dict[str, str] | None = None) -> str:
    """The message of the `ConfigError` that loading `path` with `environ` raises."""
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ=environ or {})
    return str(caught.value)


def test_bad_toml_names_the_file(tmp_path: Path) -> None:
    """A file that is not TOML is refused in the same format, naming the file."""
    path = _write(tmp_path, "[serve\nport = 1\n")
    assert _refusal(path).startswith(
        f"invalid settings: config file (config={path}): not valid TOML"
    )


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[serve]\nprot = 80\n", "serve.prot"),
        ("[pipeline]\nbatch_max = 5\n", "pipeline.batch_max"),
        ('[[sources]]\ntype = "files"\npaths = ["a"]\npace = 1\n', "sources.0.pace"),
        ('[[sources]]\ntype = "demo"\n[[sources]]\ntype = "demo"\nround = 1\n', "sources.1.round"),
    ],
)
def test_unknown_field_names_field_and_file(tmp_path: Path, text: str, field: str) -> None:
    """An unknown field in a section or a `[[sources]]` table names it and the file."""
    path = _write(tmp_path, text)
    assert f"invalid settings: {field} (config={path}): Extra inputs" in _refusal(path)


def test_unknown_source_type(tmp_path: Path) -> None:
    """A `[[sources]]` table of an unknown type names the table, the type and the file."""
    path = _write(tmp_path, '[[sources]]\ntype = "kinesis"\nstream = "q"\n')
    message = _refusal(path)
    assert message.startswith(f"invalid settings: sources.0 (config={path}): ")
    assert "'kinesis'" in message
    assert "'files', 'demo', 'sqs', 'cloudtrail_lookup'" in message


def test_aws_source_tables(tmp_path: Path) -> None:
    """The SQS and LookupEvents tables: defaults, the queues, and what is refused."""
    path = _write(
        tmp_path,
        '[[sources]]\ntype = "sqs"\nqueue_url = "https://sqs.us-east-1.amazonaws.com/1/q"\n'
        'queue_urls = ["https://sqs.us-east-1.amazonaws.com/1/r"]\n'
        '[[sources]]\ntype = "cloudtrail_lookup"\nregions = ["us-east-1", "eu-west-1"]\n',
    )
    settings = load_settings(str(path))
    sqs, lookup = settings.sources
    assert isinstance(sqs, SqsSourceSettings)
    assert sqs.queues()[1].endswith("/r")
    assert (sqs.wait_time_s, sqs.max_object_bytes) == (20, 256 * 2**20)
    assert isinstance(lookup, LookupSourceSettings)
    assert lookup.requests_per_s == 2.0
    assert settings.source_names() == ["sqs", "cloudtrail_lookup"]
    no_queue = _write(tmp_path, '[[sources]]\ntype = "sqs"\n')
    assert "give queue_url or queue_urls" in _refusal(no_queue)
    too_fast = _write(
        tmp_path, '[[sources]]\ntype = "cloudtrail_lookup"\nregions = ["x"]\nrequests_per_s = 5\n'
    )
    assert "sources.0.requests_per_s" in _refusal(too_fast)


def test_bad_value_in_a_source_table(tmp_path: Path) -> None:
    """A bad value in a `[[sources]]` table is named without pydantic's union tag."""
    path = _write(tmp_path, '[[sources]]\ntype = "files"\npaths = []\n')
    assert _refusal(path).startswith(f"invalid settings: sources.0.paths (config={path}): ")


def test_wrong_type_in_environment() -> None:
    """A variable of the wrong type names the field and the variable."""
    message = _refusal(None, {"EVENTSTREAM_SERVE__PORT": "eighty"})
    assert message.startswith("invalid settings: serve.port (EVENTSTREAM_SERVE__PORT): ")
    assert "integer" in message


@pytest.mark.parametrize("section", ["SOURCES", "WEBHOOKS"])
def test_environment_cannot_set_a_list_section(section: str) -> None:
    """`[[sources]]` and `[[webhooks]]` are lists of tables: the environment cannot set them."""
    variable = f"EVENTSTREAM_{section}__X"
    message = _refusal(None, {variable: "1"})
    assert message.startswith(f"invalid settings: {section.lower()} ({variable}): ")
    assert "configuration file" in message


def test_webhooks_table_is_validated(tmp_path: Path) -> None:
    """A `[[webhooks]]` table is validated like any section, naming the file."""
    path = _write(tmp_path, '[[webhooks]]\nurl = "https://hooks.example"\n')
    message = _refusal(path)
    assert message.startswith(f"invalid settings: webhooks.0.name (config={path}): ")


def test_bad_option_names_the_option(tmp_path: Path) -> None:
    """A bad command-line value names the field and the option, not the file."""
    settings = load_settings(_write(tmp_path, "[serve]\nport = 80\n"), environ={})
    with pytest.raises(ConfigError) as caught:
        with_options(settings, serve__port="eighty")
    assert str(caught.value).startswith("invalid settings: serve.port (--port): ")


def test_bad_source_option_names_the_option(tmp_path: Path) -> None:
    """A source given by an option is named by that option, after the file's own sources."""
    settings = load_settings(_write(tmp_path, '[[sources]]\ntype = "demo"\n'), environ={})
    with pytest.raises(ConfigError) as caught:
        with_options(settings, sources=[("--ingest", {"type": "files", "paths": []})])
    assert str(caught.value).startswith("invalid settings: sources.1.paths (--ingest): ")


def test_options_apply_over_the_file(tmp_path: Path) -> None:
    """Good options replace the file's values and append sources; None means not given."""
    settings = load_settings(_write(tmp_path, "[serve]\nport = 80\n"), environ={})
    changed = with_options(
        settings,
        serve__port=81,
        redis__url=None,
        sources=[("--ingest", {"type": "files", "paths": ["a.jsonl"]})],
    )
    assert changed.serve.port == 81
    assert changed.redis.url is None
    assert [source.type for source in changed.sources] == ["files"]
