"""logs service family (tables to be filled in)."""

from __future__ import annotations

from eventstream.normalize.rules import Family

FAMILY = Family(name="logs", sources=("logs.amazonaws.com",), kinds=(), rules={})
