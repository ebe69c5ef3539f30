"""A progress line on a terminal's stderr, redrawn at most every `every_s` seconds."""

from __future__ import annotations

import sys
import time


class ProgressLine:
    """Off unless `enabled` (stderr is a terminal, and not asked to be quiet)."""

    def __init__(self, enabled: bool, every_s: float) -> None:
        self.enabled = enabled
        self.every_s = every_s
        self.started = time.monotonic()
        self.last = self.started
        self.shown = False

    def due(self) -> float | None:
        """Seconds since the start when it is time to redraw, else None."""
        if not self.enabled:
            return None
        now = time.monotonic()
        if now - self.last < self.every_s:
            return None
        self.last = now
        return now - self.started

    def show(self, text: str) -> None:
        self.shown = True
        sys.stderr.write(f"\r\033[K{text}")
        sys.stderr.flush()

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self.shown = False
