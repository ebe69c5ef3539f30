"""Fixtures of the pipeline tests: the journal tests' real redis-server and key prefixes."""

from tests.journal.conftest import aredis, keys, redis_srv

__all__ = ["aredis", "keys", "redis_srv"]
