"""kms service family (tables to be filled in)."""

from __future__ import annotations

from eventstream.normalize.rules import Family

FAMILY = Family(name="kms", sources=("kms.amazonaws.com",), kinds=(), rules={})
