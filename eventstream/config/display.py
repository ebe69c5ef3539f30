"""The effective settings as shown to people (`eventstream config check`), secrets masked.

Secrets are masked by their field's name, so a new secret (a webhook's `secret`) needs nothing
but a name that says so:

- a field with `secret`, `password`, `passwd` or `token` as one of the words of its name
  (`secret`, `signing_secret`, `api_token`) is shown as `***`, whatever its value; `tokens`
  (the list of bearer token entries) and `sha256` (a token's hash) are not secrets;
- any text holding a URL with a password (`redis://:pw@host`) has the password shown as `***`
  (`safe_url`); a URL that cannot be parsed is shown as `***` entirely.

A `pydantic.SecretStr` field is also masked, by pydantic itself, whatever its name.
"""

from __future__ import annotations

from typing import Any

from eventstream.config.settings import Settings
from eventstream.journal.urls import safe_url

SECRET_WORDS = frozenset({"secret", "password", "passwd", "token"})
MASK = "***"


def effective(settings: Settings) -> dict[str, Any]:
    """Every setting as JSON-ready values, secrets masked."""
    shown: dict[str, Any] = masked(settings.model_dump(mode="json"))
    return shown


def is_secret(name: str) -> bool:
    """Whether a field of this name holds a secret (one of its `_` words is a secret word)."""
    return not SECRET_WORDS.isdisjoint(name.lower().split("_"))


def masked(value: Any, name: str = "") -> Any:
    """`value` (the field `name`'s) with every secret below it masked."""
    if is_secret(name) and value not in (None, ""):
        return MASK
    if isinstance(value, dict):
        return {key: masked(item, str(key)) for key, item in value.items()}
    if isinstance(value, list):
        return [masked(item, name) for item in value]
    if isinstance(value, str) and "://" in value:
        return _safe(value)
    return value


def _safe(url: str) -> str:
    try:
        return safe_url(url)
    except ValueError:  # e.g. a port that is not a number: the password cannot be located
        return MASK
