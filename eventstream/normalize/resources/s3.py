"""s3 service family (tables to be filled in)."""

from __future__ import annotations

from eventstream.normalize.rules import Family

FAMILY = Family(name="s3", sources=("s3.amazonaws.com",), kinds=(), rules={})
