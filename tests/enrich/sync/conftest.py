"""Fixtures of the inventory sync tests: moto's server mode and the journal's redis-server.

moto keeps its state per process, so a sync also lists what other tests created: the tests
compare with moto's own listing, or look for what they created, never with a fixed count."""

from __future__ import annotations

from tests.aws.conftest import aws_env, moto
from tests.journal.conftest import aredis, keys, redis_srv

__all__ = ["aredis", "aws_env", "keys", "moto", "redis_srv"]
