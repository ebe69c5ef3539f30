"""`[[webhooks]]`: the destination model, its errors in the one format, secrets from the
environment, and secrets masked in `config check`."""

from __future__ import annotations

from pathlib import Path

import pytest
from redis.asyncio import Redis

from eventstream.config import load_settings
from eventstream.config.display import effective, is_secret
from eventstream.config.webhooks import DEFAULT_SCHEDULE_S, resolve_secrets
from eventstream.errors import ConfigError
from eventstream.forward.service import Forwarding
from eventstream.journal.keys import Keys

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
GOOD = f"""
[[webhooks]]
name = "splunk"
url = "https://splunk.example:8088/services/collector/event"
format = "splunk-hec"
token = "hec-secret-token"
secrets = ["{SECRET}"]
headers = {{ "X-Tenant" = "blue", "Authorization-Extra" = "hidden-value" }}
filter = "type=delete&asset_type=AWS::EC2::*"

[[webhooks]]
name = "generic"
url = "https://hooks.example/in"
secret_env = "HOOK_SECRETS"
"""


def _load(tmp_path: Path, text: str) -> str:
    path = tmp_path / "eventstream.toml"
    path.write_text(text)
    try:
        load_settings(path, environ={})
    except ConfigError as error:
        return str(error).replace(str(path), "FILE")
    return ""


def test_destinations_load(tmp_path: Path) -> None:
    path = tmp_path / "eventstream.toml"
    path.write_text(GOOD)
    settings = load_settings(path, environ={})
    splunk, generic = settings.webhooks
    assert (splunk.name, splunk.format, splunk.max_events) == ("splunk", "splunk-hec", 500)
    assert generic.format == "cloudevents-batch"
    assert tuple(generic.retry_schedule_s) == DEFAULT_SCHEDULE_S
    assert DEFAULT_SCHEDULE_S == (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
    assert not generic.allow_private


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (
            'name = "a"\nurl = "ftp://x"',
            "invalid settings: webhooks.0.url (config=FILE): not an http:// or https:// URL",
        ),
        ('name = "a"\nurl = "https://x"\nformat = "xml"', "webhooks.0.format (config=FILE)"),
        ('name = "a"\nurl = "https://x"\nfilter = "colour=red"', "unknown filter key"),
        ('name = "a"\nurl = "https://x"\nsecrets = ["plain"]', "whsec_<base64>"),
        ('name = "a"\nurl = "https://x"\nformat = "splunk-hec"', "needs token or token_env"),
        ('name = "a b"\nurl = "https://x"', "webhooks.0.name (config=FILE)"),
        ('name = "a"\nurl = "https://x"\nheaders = { "Content-Type" = "x" }', "set by the"),
        ('name = "a"\nurl = "https://x"\nbogus = 1', "webhooks.0.bogus (config=FILE)"),
        ('name = "a"\nurl = "http://169.254.169.254/"', "not a public address"),
        ('name = "a"\nurl = "https://x"\ntimeout_s = 60', "claim_idle_s must exceed timeout_s"),
    ],
)
def test_bad_destination_errors(tmp_path: Path, table: str, expected: str) -> None:
    """Each mistake is one line of the one error format, naming the field and the file."""
    message = _load(tmp_path, f"[[webhooks]]\n{table}\n")
    assert message.startswith("invalid settings: webhooks.0")
    assert expected in message


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    text = '[[webhooks]]\nname = "a"\nurl = "https://x"\n' * 2
    assert "two destinations are named 'a'" in _load(tmp_path, text)


def test_secret_env_is_read_at_start_up(tmp_path: Path) -> None:
    """`secret_env` names a variable; unset, it is an error naming the destination."""
    path = tmp_path / "eventstream.toml"
    path.write_text(GOOD)
    generic = load_settings(path, environ={}).webhooks[1]
    with pytest.raises(ConfigError, match=r"webhooks\.generic\.secret_env .*HOOK_SECRETS"):
        resolve_secrets(generic, {})
    with pytest.raises(ConfigError, match="whsec_"):
        resolve_secrets(generic, {"HOOK_SECRETS": "nope"})
    keys, token = resolve_secrets(generic, {"HOOK_SECRETS": f"{SECRET} {SECRET}"})
    assert len(keys) == 2
    assert token == ""


async def test_forwarding_refuses_a_missing_secret_before_running(tmp_path: Path) -> None:
    path = tmp_path / "eventstream.toml"
    path.write_text(GOOD)
    settings = load_settings(path, environ={})
    redis = Redis()  # never connected: the error comes first
    with pytest.raises(ConfigError, match="HOOK_SECRETS is not set"):
        Forwarding(settings.webhooks, redis=redis, keys=Keys(), environ={})
    await redis.aclose()


def test_secrets_are_masked_in_config_check(tmp_path: Path) -> None:
    """Signing secrets, the HEC token and every header value are masked; the names of the
    variables are shown."""
    path = tmp_path / "eventstream.toml"
    path.write_text(GOOD)
    shown = effective(load_settings(path, environ={}))
    splunk, generic = shown["webhooks"]
    assert splunk["secrets"] == "***"
    assert splunk["token"] == "***"
    assert splunk["headers"] == {"X-Tenant": "***", "Authorization-Extra": "***"}
    assert generic["secret_env"] == "HOOK_SECRETS"
    text = str(shown)
    for secret in (SECRET, "hec-secret-token", "hidden-value"):
        assert secret not in text
    assert not is_secret("secret_env")
    assert is_secret("secrets")
