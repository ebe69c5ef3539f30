"""guardduty service family (tables to be filled in)."""

from __future__ import annotations

from eventstream.normalize.rules import Family

FAMILY = Family(name="guardduty", sources=("guardduty.amazonaws.com",), kinds=(), rules={})
