"""The HTTP server under `eventstream serve`: uvicorn, with signals left to the command, and
every connection held to the bounds of `[serve]` (`protocol.GuardedProtocol`).

uvicorn installs its own SIGTERM/SIGINT handlers while it serves and raises the signal again
when it is done; a signal before or after that window met other handlers (or none). Here the
command owns the signals from its first line (`commands.shutdown`) and calls `stop()`: the app
ends every stream with its `close` event and stops its pipeline, and uvicorn drains.

`create_server` is the one way to build it: the guarded protocol, the open-connection counts of
this server (its `Guard`), and TLS from `tls_cert_file`/`tls_key_file` (checked by `tls.py`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator
from typing import Any

import uvicorn

from eventstream.config import ServeSettings
from eventstream.serve.limits import Guard, Limits
from eventstream.serve.protocol import GuardedProtocol, GuardedState
from eventstream.serve.tls import check_tls


class Server(uvicorn.Server):
    """uvicorn's server without its signal handling; `stop()` is the one way to end it. Its
    connections share its `guard` (open connections per client address and in total)."""

    def __init__(
        self,
        config: uvicorn.Config,
        before_stop: Callable[[], None] | None = None,
        limits: Limits | None = None,
    ):
        super().__init__(config)
        self.before_stop = before_stop
        self.guard = Guard(limits or Limits())
        self.server_state = GuardedState(self.guard)

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # signals belong to the command

    def stop(self) -> None:
        """Run `before_stop` (the app closes every stream with a final `close` event and stops
        its pipeline), then drain and exit."""
        if self.before_stop is not None:
            self.before_stop()
        self.should_exit = True


def create_server(
    app: Any,
    settings: ServeSettings,
    before_stop: Callable[[], None] | None = None,
    **options: Any,
) -> Server:
    """A server for `app` within the bounds of `settings`; `options` go to `uvicorn.Config`
    (host, port, logging...). Raises `ConfigError` for an unusable certificate or key."""
    check_tls(settings)
    tls: dict[str, Any] = {}
    if settings.tls_cert_file is not None and settings.tls_key_file is not None:
        tls = {"ssl_certfile": settings.tls_cert_file, "ssl_keyfile": settings.tls_key_file}
    config = uvicorn.Config(app, http=GuardedProtocol, **tls, **options)
    return Server(config, before_stop, Limits.of(settings))
