"""HTTPS without a proxy: the `[serve]` certificate and key files, checked before serving.

uvicorn loads the files itself (`ssl_certfile`, `ssl_keyfile`) and would fail on a bad pair
with a traceback, or prompt on the terminal for the password of an encrypted key: `check_tls`
loads them first and turns every problem into a `ConfigError` naming the setting and the file.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from eventstream.config import ServeSettings
from eventstream.errors import ConfigError


def _no_password() -> bytes:
    raise ConfigError("serve.tls_key_file is encrypted: give the server an unencrypted key")


def check_tls(settings: ServeSettings) -> None:
    """Raise `ConfigError` unless the configured certificate and key load as one pair."""
    cert, key = settings.tls_cert_file, settings.tls_key_file
    if cert is None or key is None:
        return  # plain HTTP (the settings refuse one without the other)
    for name, path in (("tls_cert_file", cert), ("tls_key_file", key)):
        _readable(name, path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert, key, password=_no_password)
    except ssl.SSLError as error:
        if error.reason == "KEY_VALUES_MISMATCH":
            raise ConfigError(
                f"serve.tls_key_file={key} is not the key of serve.tls_cert_file={cert}"
            ) from None
        raise ConfigError(
            f"serve.tls_cert_file={cert} and serve.tls_key_file={key} are not a PEM "
            f"certificate chain and its private key ({error.reason or error})"
        ) from None


def _readable(name: str, path: Path) -> None:
    try:
        with path.open("rb") as file:
            file.read(1)
    except FileNotFoundError:
        raise ConfigError(f"serve.{name}={path}: no such file") from None
    except OSError as error:
        raise ConfigError(f"serve.{name}={path}: cannot be read ({error.strerror})") from None
