"""Fixtures of the inventory sync tests: a moto server of their own (a sync lists everything
in an account, so other tests' resources must not be there), and the journal's redis-server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

from tests.aws.conftest import Moto, aws_env
from tests.journal.conftest import aredis, keys, redis_srv

__all__ = ["aredis", "aws_env", "keys", "redis_srv"]


@pytest.fixture
def own_moto(aws_env: None) -> Iterator[Moto]:
    """A fresh moto server per test: nothing in it but what the test creates (and the default
    VPC and security group moto makes in each region)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield Moto(f"http://{host}:{port}")
    finally:
        server.stop()
