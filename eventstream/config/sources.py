"""The `[[sources]]` tables: where raw records come from, one table per source, by `type`.

`files` and `demo` exist today; the AWS sources (SQS, LookupEvents) are more members of the
same union. A source's `name` labels its metrics and quarantine entries (default: its type,
numbered when several share one).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from eventstream.config.sections import Section


class FilesSourceSettings(Section):
    """CloudTrail JSON lines, S3 export files, EventBridge envelopes, folders, or `-`."""

    type: Literal["files"]
    name: str = Field("", description="Label in metrics and quarantine (default: files).")
    paths: list[str] = Field(min_length=1, description="Files, folders, or - for stdin.")
    pace_s: float = Field(0.0, ge=0, description="Seconds between records (0: as fast as read).")


class DemoSourceSettings(Section):
    """The bundled sample trail at a steady pace, then a scripted live scenario."""

    type: Literal["demo"]
    name: str = Field("", description="Label in metrics and quarantine (default: demo).")
    sample: bool = Field(True, description="Replay the bundled sample trail first.")
    pace_s: float = Field(0.02, ge=0, description="Seconds between sample records.")
    step_s: float = Field(3.0, ge=0, description="Seconds between scenario steps.")
    rounds: int | None = Field(None, ge=0, description="Scenario rounds (None: forever).")


SourceSettings = Annotated[FilesSourceSettings | DemoSourceSettings, Field(discriminator="type")]
