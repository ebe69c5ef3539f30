"""The HTTP server under `eventstream serve`: uvicorn, with signals left to the command.

uvicorn installs its own SIGTERM/SIGINT handlers while it serves and raises the signal again
when it is done; a signal before or after that window met other handlers (or none). Here the
command owns the signals from its first line (`commands.shutdown`) and calls `stop()`: the app
ends every stream with its `close` event and stops its pipeline, and uvicorn drains.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator

import uvicorn


class Server(uvicorn.Server):
    """uvicorn's server without its signal handling; `stop()` is the one way to end it."""

    def __init__(self, config: uvicorn.Config, before_stop: Callable[[], None] | None = None):
        super().__init__(config)
        self.before_stop = before_stop

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # signals belong to the command

    def stop(self) -> None:
        """Run `before_stop` (the app closes every stream with a final `close` event and stops
        its pipeline), then drain and exit."""
        if self.before_stop is not None:
            self.before_stop()
        self.should_exit = True
