"""The `[client]` section: how `eventstream tail` (and scripts that read the settings) reach a
server. The library itself takes these as arguments (`EventStreamClient`, `StreamOptions`)."""

from __future__ import annotations

from pydantic import Field, field_validator

from eventstream.config.sections import Section


class ClientSettings(Section):
    """A client of an EventStream server."""

    url: str = Field("http://127.0.0.1:8080", description="The server (http:// or https://).")
    token: str | None = Field(None, description="Bearer token; None: no Authorization header.")
    idle_timeout_s: float = Field(
        45.0, gt=0, description="Reconnect after this long without a byte (three heartbeats)."
    )
    connect_timeout_s: float = Field(10.0, gt=0, description="Limit of one connection attempt.")
    initial_delay_s: float = Field(
        1.0, gt=0, description="First reconnection delay without a retry hint from the server."
    )
    max_delay_s: float = Field(30.0, gt=0, description="Longest delay between reconnections.")

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"url {value!r} is not http:// or https://")
        return value.rstrip("/")
