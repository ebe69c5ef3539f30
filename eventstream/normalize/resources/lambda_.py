"""lambda service family (tables to be filled in)."""

from __future__ import annotations

from eventstream.normalize.rules import Family

FAMILY = Family(name="lambda", sources=("lambda.amazonaws.com",), kinds=(), rules={})
