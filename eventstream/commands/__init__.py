"""Sub-commands of `eventstream`. Each module has `register(subparsers)`, which sets `run`."""

from __future__ import annotations

from types import ModuleType

from eventstream.commands import (
    config,
    ingest,
    inventory,
    normalize,
    quarantine,
    replay,
    serve,
    tail,
    token,
    webhooks,
)

COMMANDS: tuple[ModuleType, ...] = (
    config,
    ingest,
    inventory,
    normalize,
    quarantine,
    replay,
    serve,
    tail,
    token,
    webhooks,
)
