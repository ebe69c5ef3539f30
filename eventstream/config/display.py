"""The effective settings as shown to people (`eventstream config check`), secrets masked.

Secrets are masked by their field's name, so a new secret (a webhook's `secret`) needs nothing
but a name that says so:

- a field with `secret`, `secrets`, `password`, `passwd` or `token` as one of the words of its
  name (`secrets`, `signing_secret`, `api_token`) is shown as `***`, whatever its value; `tokens`
  (the list of bearer token entries), `sha256` (a token's hash) and `*_env` (the name of a
  variable holding a secret) are not secrets;
- every value of a webhook's `headers` is shown as `***`;
- any text holding a URL with a password (`redis://:pw@host`) has the password shown as `***`
  (`safe_url`); a URL that cannot be parsed is shown as `***` entirely.

A `pydantic.SecretStr` field is also masked, by pydantic itself, whatever its name.
"""

from __future__ import annotations

from typing import Any

from eventstream.config.settings import Settings
from eventstream.journal.urls import safe_url

SECRET_WORDS = frozenset({"secret", "secrets", "password", "passwd", "token"})
MASKED_VALUES = frozenset({"headers"})
"""Tables whose every value is masked: a destination's extra `headers` (`Authorization`...)."""
MASK = "***"


def effective(settings: Settings) -> dict[str, Any]:
    """Every setting as JSON-ready values, secrets masked."""
    shown: dict[str, Any] = masked(settings.model_dump(mode="json"))
    return shown


def is_secret(name: str) -> bool:
    """Whether a field of this name holds a secret (one of its `_` words is a secret word);
    `*_env` names a variable, not its value."""
    if name.lower().endswith("_env"):
        return False
    return not SECRET_WORDS.isdisjoint(name.lower().split("_"))


def masked(value: Any, name: str = "") -> Any:
    """`value` (the field `name`'s) with every secret below it masked."""
    if is_secret(name) and value not in (None, "", []):
        return MASK
    if name in MASKED_VALUES and isinstance(value, dict):
        return dict.fromkeys(value, MASK)
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
