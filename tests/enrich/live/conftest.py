"""Fixtures of the live-describe tests: moto server mode and a real redis-server."""

from __future__ import annotations

from tests.aws.conftest import aws_env, moto
from tests.journal.conftest import aredis, keys, redis_srv

__all__ = ["aredis", "aws_env", "keys", "moto", "redis_srv"]
