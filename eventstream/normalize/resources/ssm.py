"""ssm service family (tables to be filled in)."""

from __future__ import annotations

from eventstream.normalize.rules import Family

FAMILY = Family(name="ssm", sources=("ssm.amazonaws.com",), kinds=(), rules={})
