"""cloudtrail service family (tables to be filled in)."""

from __future__ import annotations

from eventstream.normalize.rules import Family

FAMILY = Family(name="cloudtrail", sources=("cloudtrail.amazonaws.com",), kinds=(), rules={})
