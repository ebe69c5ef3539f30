"""elbv2 service family (tables to be filled in)."""

from __future__ import annotations

from eventstream.normalize.rules import Family

FAMILY = Family(name="elbv2", sources=("elbv2.amazonaws.com",), kinds=(), rules={})
