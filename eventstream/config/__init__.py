"""Settings of EventStream: one model (`Settings`), loaded from a TOML file, the environment
and command-line options (`load_settings`, `with_options`), with one error format."""

from eventstream.config.client import ClientSettings
from eventstream.config.loader import load_settings, with_options
from eventstream.config.sections import (
    InventorySettings,
    JournalSettings,
    PipelineSettings,
    RedisSettings,
)
from eventstream.config.serve import ServeSettings, TokenSettings
from eventstream.config.settings import Settings
from eventstream.config.sources import (
    DemoSourceSettings,
    FilesSourceSettings,
    LookupSourceSettings,
    SourceSettings,
    SqsSourceSettings,
)
from eventstream.config.webhooks import WebhookSettings

__all__ = [
    "ClientSettings",
    "DemoSourceSettings",
    "FilesSourceSettings",
    "InventorySettings",
    "JournalSettings",
    "LookupSourceSettings",
    "PipelineSettings",
    "RedisSettings",
    "ServeSettings",
    "Settings",
    "SourceSettings",
    "SqsSourceSettings",
    "TokenSettings",
    "WebhookSettings",
    "load_settings",
    "with_options",
]
