"""sns service family (tables to be filled in)."""

from __future__ import annotations

from eventstream.normalize.rules import Family

FAMILY = Family(name="sns", sources=("sns.amazonaws.com",), kinds=(), rules={})
