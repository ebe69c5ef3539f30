"""SIGTERM and SIGINT for the long-running commands, owned in one place.

`Shutdown` is installed first thing (`cli.main`, before the commands are even imported),
before Redis or anything else is started, so no signal
window is left where the default action kills the process half-started (an embedded
redis-server behind it stops by itself anyway: it dies with its parent). The first signal asks
the command to stop: every callback registered with `on_stop` runs in the event loop. A second
signal exits at once with status 130.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # not imported at run time: installing the handlers must come first and fast
    import asyncio
    from types import FrameType

log = logging.getLogger(__name__)

SIGNALS = (signal.SIGTERM, signal.SIGINT)
EXIT_FORCED = 130


class Shutdown:
    """Turns the first SIGTERM/SIGINT into a stop request; the second exits at once."""

    def __init__(self) -> None:
        self.signal: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._callbacks: list[Callable[[], None]] = []
        self._previous: dict[int, object] = {}

    @classmethod
    def of(cls, args: object) -> Shutdown:
        """The one `cli.main` installed (`args.shutdown`), else a new one, installed now."""
        found = getattr(args, "shutdown", None)
        return found if isinstance(found, Shutdown) else cls().install()

    @property
    def requested(self) -> bool:
        return self.signal is not None

    def install(self) -> Shutdown:
        for sig in SIGNALS:
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def restore(self) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)  # type: ignore[arg-type]
        self._previous.clear()

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Run the callbacks in `loop` from now on (and at once if a signal came already)."""
        self._loop = loop
        if self.requested:
            loop.call_soon(self._fire)

    def on_stop(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)
        if self.requested and self._loop is not None:
            self._loop.call_soon(callback)

    def trigger(self, sig: int = signal.SIGTERM) -> None:
        """Ask for a stop as a signal would (tests, and the command's own end)."""
        self._handle(sig, None)

    def _handle(self, sig: int, frame: FrameType | None) -> None:
        if self.requested:
            print("second signal: exiting now", file=sys.stderr, flush=True)
            os._exit(EXIT_FORCED)
        self.signal = sig
        log.info("stopping", extra={"signal": signal.Signals(sig).name})
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._fire)

    def _fire(self) -> None:
        for callback in self._callbacks:
            callback()
