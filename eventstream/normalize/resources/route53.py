"""route53 service family (tables to be filled in)."""

from __future__ import annotations

from eventstream.normalize.rules import Family

FAMILY = Family(name="route53", sources=("route53.amazonaws.com",), kinds=(), rules={})
