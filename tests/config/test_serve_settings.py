"""Server settings: the `[serve]` table of `load_settings`, its errors, and the exposure rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventstream.config import load_settings
from eventstream.config.serve import ServeSettings, TokenSettings, check_exposure, is_loopback
from eventstream.errors import ConfigError


def test_serve_table_loads_with_tokens(tmp_path: Path) -> None:
    """A TOML file's [serve] table becomes validated settings."""
    path = tmp_path / "eventstream.toml"
    path.write_text(
        '[serve]\nhost = "0.0.0.0"\nheartbeat_s = 5\n\n[[serve.tokens]]\nname = "ops"\n'
        f'sha256 = "{"a" * 64}"\naccounts = ["*"]\n'
    )
    settings = load_settings(path, environ={}).serve
    assert settings.heartbeat_s == 5
    assert settings.tokens[0].name == "ops"
    assert check_exposure(settings) is None


def test_unknown_field_and_bad_values_name_file_and_field(tmp_path: Path) -> None:
    """An unknown or invalid field is a ConfigError that names the file and the field."""
    path = tmp_path / "bad.toml"
    path.write_text("[serve]\nheartbeat = 3\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert f"serve.heartbeat (config={path})" in str(caught.value)
    path.write_text('[serve]\nport = "eighty"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert f"serve.port (config={path})" in str(caught.value)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.0.0.5", False),
    ],
)
def test_loopback_detection(host: str, loopback: bool) -> None:
    """Only loopback addresses count as safe without tokens."""
    assert is_loopback(host) is loopback


def test_exposure_needs_tokens_or_explicit_permission() -> None:
    """A public address without tokens is refused unless allow_unauthenticated is set."""
    assert check_exposure(ServeSettings(host="0.0.0.0")) is not None
    assert check_exposure(ServeSettings(host="0.0.0.0", allow_unauthenticated=True)) is None
    token = TokenSettings(name="t", sha256="b" * 64, accounts=["1"])
    assert check_exposure(ServeSettings(host="0.0.0.0", tokens=[token])) is None
    with pytest.raises(ValueError, match="unique"):
        ServeSettings(tokens=[token, token])
