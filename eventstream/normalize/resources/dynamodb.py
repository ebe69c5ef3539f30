"""dynamodb service family (tables to be filled in)."""

from __future__ import annotations

from eventstream.normalize.rules import Family

FAMILY = Family(name="dynamodb", sources=("dynamodb.amazonaws.com",), kinds=(), rules={})
