"""`eventstream token` prints a token and a configuration entry that the server accepts."""

from __future__ import annotations

import hashlib
import tomllib

import pytest

from eventstream.cli import main
from eventstream.config.serve import ServeSettings


def test_token_entry_loads_and_matches_the_token(capsys: pytest.CaptureFixture[str]) -> None:
    """The printed entry is valid [serve] TOML whose sha256 is the printed token's."""
    assert (
        main(["token", "team-a", "--accounts", "111111111111", "--filter", "region=eu-west-1"]) == 0
    )
    out = capsys.readouterr().out
    token = out.splitlines()[0].rsplit(" ", 1)[1]
    entry = out[out.index("[[serve.tokens]]") :]
    settings = ServeSettings.model_validate(tomllib.loads(entry)["serve"])
    (configured,) = settings.tokens
    assert configured.sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert configured.accounts == ["111111111111"]
    assert configured.filter == "region=eu-west-1"


def test_settings_reject_a_bad_token_filter() -> None:
    """A token whose filter cannot be parsed is a configuration error naming the parameter."""
    with pytest.raises(ValueError, match="parameter=type"):
        ServeSettings.model_validate(
            {
                "tokens": [
                    {"name": "x", "sha256": "0" * 64, "accounts": ["*"], "filter": "type=bogus"}
                ]
            }
        )
