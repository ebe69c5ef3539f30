"""`eventstream config check [FILE]`: the effective settings with secrets masked, or exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from eventstream import codec
from eventstream.cli import main
from eventstream.config.display import MASK, is_secret, masked
from tests.conftest import ROOT

SHA = "a" * 64


@pytest.fixture(autouse=True)
def _no_settings_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees only the variables it sets itself."""
    monkeypatch.delenv("REDIS_URL", raising=False)
    for name in list(os.environ):
        if name.startswith("EVENTSTREAM_") and "__" in name:
            monkeypatch.delenv(name)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "eventstream.toml"
    path.write_text(text)
    return path


def _token(filter_text: str, name: str = "ops") -> str:
    return (
        f'[[serve.tokens]]\nname = "{name}"\nsha256 = "{SHA}"\naccounts = ["*"]\n'
        f"filter = {codec.dumps(filter_text).decode()}\n"
    )


def _check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["config", "check", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_valid_file_prints_effective_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A valid file exits 0 and prints its values, the defaults and no Redis password."""
    path = _write(
        tmp_path,
        '[redis]\nurl = "redis://app:hunter2@cache:6379/0"\n[journal]\nmax_age_s = 60\n'
        '[[sources]]\ntype = "files"\npaths = ["trail.jsonl"]\n' + _token("region=eu-west-1"),
    )
    code, out, err = _check(capsys, str(path))
    assert (code, err) == (0, "")
    shown: dict[str, Any] = codec.loads(out)
    assert shown["redis"]["url"] == "redis://app:***@cache:6379/0"
    assert shown["journal"]["max_age_s"] == 60
    assert shown["journal"]["batch_size"] == 500
    assert shown["sources"] == [
        {"type": "files", "name": "", "paths": ["trail.jsonl"], "pace_s": 0}
    ]
    assert shown["serve"]["tokens"][0]["sha256"] == SHA
    assert "hunter2" not in out


def test_no_file_checks_defaults_and_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without FILE the defaults and the environment are checked, the URL's password masked."""
    monkeypatch.setenv("REDIS_URL", "rediss://:s3cret@cache:6380")
    monkeypatch.setenv("EVENTSTREAM_SERVE__PORT", "9001")
    code, out, _ = _check(capsys)
    assert code == 0
    assert codec.loads(out)["serve"]["port"] == 9001
    assert "s3cret" not in out


def test_bad_environment_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad variable is an error naming the field and the variable, on stderr only."""
    monkeypatch.setenv("EVENTSTREAM_SERVE__PORT", "eighty")
    code, out, err = _check(capsys)
    assert (code, out) == (2, "")
    assert err.startswith("error: invalid settings: serve.port (EVENTSTREAM_SERVE__PORT): ")


def test_invalid_file_exits_2_naming_field_and_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An invalid value is `error: ...` on stderr naming the field and the file; exit 2."""
    path = _write(tmp_path, "[journal]\nbatch_size = 0\n")
    code, out, err = _check(capsys, str(path))
    assert (code, out) == (2, "")
    assert err.startswith(f"error: invalid settings: journal.batch_size (config={path}): ")


@pytest.mark.parametrize(
    "text", ["regoin=eu-west-1", "asset_type:AWS::EC2::*", "region=", "asset_type=AWS::[EC2"]
)
def test_bad_token_filter_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    """A token filter that does not parse is refused, naming the token and the filter."""
    path = _write(tmp_path, _token(text, name="auditors"))
    code, out, err = _check(capsys, str(path))
    assert (code, out) == (2, "")
    assert f"serve.tokens.0.filter (config={path})" in err
    assert "token=auditors" in err
    assert repr(text) in err


def test_command_runs_as_a_program(tmp_path: Path) -> None:
    """`python -m eventstream config check FILE` is wired into the command line."""
    path = _write(tmp_path, "[serve]\nport = 9\n")
    done = subprocess.run(
        [sys.executable, "-m", "eventstream", "config", "check", str(path)],
        capture_output=True,
        timeout=60,
        check=False,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    assert codec.loads(done.stdout)["serve"]["port"] == 9


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("secret", True),
        ("signing_secret", True),
        ("password", True),
        ("api_token", True),
        ("token", True),
        ("tokens", False),
        ("sha256", False),
        ("key_prefix", False),
        ("url", False),
    ],
)
def test_secret_field_rule(name: str, secret: bool) -> None:
    """A field is secret when one of the words of its name is a secret word."""
    assert is_secret(name) is secret


def test_future_webhook_secret_is_masked() -> None:
    """A webhook's `secret` and its URL's password are masked by the same rules as today's."""
    shown = masked(
        {"webhooks": [{"url": "https://u:pw@hooks.example/x", "secret": "abc", "name": "h"}]}
    )
    assert shown == {
        "webhooks": [{"url": "https://u:***@hooks.example/x", "secret": MASK, "name": "h"}]
    }


def test_unparsable_url_is_masked_whole() -> None:
    """A URL whose password cannot be located (a bad port) is not shown at all."""
    assert masked({"url": "redis://:pw@host:port/0"}) == {"url": MASK}
