"""The marker for a call that changes no asset (`Registry.lookup`, the derived table)."""

from __future__ import annotations

from enum import Enum


class Ignored(Enum):
    """What a lookup gives for a call listed as changing no asset (`SendCommand`, `PutEvents`)."""

    CALL = "ignored"


IGNORED = Ignored.CALL
