"""`Settings`: every section of the configuration in one model."""

from __future__ import annotations

from pydantic import Field, field_validator

from eventstream.config.accounts import AccountsSettings
from eventstream.config.client import ClientSettings
from eventstream.config.describe import DescribeSettings
from eventstream.config.sections import (
    InventorySettings,
    JournalSettings,
    PipelineSettings,
    RedisSettings,
    Section,
)
from eventstream.config.serve import ServeSettings
from eventstream.config.sources import SourceSettings
from eventstream.config.sync import SyncSettings
from eventstream.config.webhooks import WebhookSettings, unique_names


class Settings(Section):
    """Every section of the configuration."""

    redis: RedisSettings = Field(default_factory=RedisSettings)
    journal: JournalSettings = Field(default_factory=JournalSettings)
    inventory: InventorySettings = Field(default_factory=InventorySettings)
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings)
    serve: ServeSettings = Field(default_factory=ServeSettings)
    client: ClientSettings = Field(default_factory=ClientSettings)
    describe: DescribeSettings = Field(default_factory=DescribeSettings)
    accounts: AccountsSettings = Field(default_factory=AccountsSettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    sources: list[SourceSettings] = Field(
        default_factory=list, description="Where raw records come from (`[[sources]]`)."
    )
    webhooks: list[WebhookSettings] = Field(
        default_factory=list,
        description="Destinations the journal is forwarded to (`[[webhooks]]`).",
    )

    @field_validator("webhooks")
    @classmethod
    def _unique_webhooks(cls, value: list[WebhookSettings]) -> list[WebhookSettings]:
        return unique_names(value)

    def source_names(self) -> list[str]:
        """Each source's label: its `name`, else its type, numbered when types repeat."""
        names: list[str] = []
        for index, source in enumerate(self.sources):
            same = [s for s in self.sources if s.type == source.type and not s.name]
            name = source.name or source.type
            if not source.name and len(same) > 1:
                name = f"{source.type}-{index}"
            names.append(name)
        return names
