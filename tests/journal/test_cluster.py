"""A real three-node Redis Cluster: the deployment's slot is found and served by its primary."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from eventstream.journal.cluster import primary_url
from eventstream.journal.keys import Keys
from tests.conftest import corpus_dir
from tests.serve.servers import free_port

_START_TIMEOUT_S = 30.0
NODES = 3
_BUS_OFFSET = 10_000  # a node's cluster bus listens on its port + 10000


@pytest.fixture(scope="module")
def cluster() -> Iterator[list[int]]:
    """Three cluster-enabled redis-servers on loopback, joined by `redis-cli --cluster create`."""
    server, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    assert server is not None, "redis-server not found: apt-get install redis-server"
    assert cli is not None, "redis-cli not found: apt-get install redis-tools"
    ports = _cluster_ports(NODES)
    with tempfile.TemporaryDirectory(prefix="es-cluster-") as folder:
        processes = []
        try:
            for port in ports:
                home = Path(folder) / str(port)
                home.mkdir()
                command = [
                    server,
                    "--port", str(port), "--bind", "127.0.0.1",
                    "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                    "--dir", str(home), "--save", "", "--appendonly", "no",
                ]  # fmt: skip
                processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL))
            for port in ports:
                _wait(lambda port=port: redis.Redis(port=port).ping())
            subprocess.run(
                [cli, "--cluster", "create", *(f"127.0.0.1:{p}" for p in ports),
                 "--cluster-replicas", "0", "--cluster-yes"],
                check=True, capture_output=True, timeout=_START_TIMEOUT_S,
            )  # fmt: skip
            for port in ports:
                _wait(lambda port=port: _cluster_ok(port))
            yield ports
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=10)


def _cluster_ports(count: int) -> list[int]:
    """Free loopback ports whose cluster bus ports (port + 10000) are free too."""
    found: list[int] = []
    for _ in range(200):
        port = free_port()
        if port + _BUS_OFFSET > 65535 or port in found:
            continue
        try:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", port + _BUS_OFFSET))
        except OSError:
            continue
        found.append(port)
        if len(found) == count:
            return found
    raise AssertionError("no free ports for a cluster")


def _cluster_ok(port: int) -> bool:
    """CLUSTER INFO says `cluster_state:ok` (redis-py parses the reply into a dict)."""
    reply = redis.Redis(port=port).execute_command("CLUSTER", "INFO")  # type: ignore[no-untyped-call]
    if isinstance(reply, dict):
        return str(reply.get("cluster_state")) == "ok"
    return b"cluster_state:ok" in (reply if isinstance(reply, bytes) else str(reply).encode())


def _wait(ready: object) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if ready():  # type: ignore[operator]
                return
        except (redis.RedisError, OSError):
            pass
        time.sleep(0.05)
    raise AssertionError("the cluster did not come up")


def _owner_and_other(ports: list[int], keys: Keys) -> tuple[int, int]:
    url = primary_url(f"redis+cluster://127.0.0.1:{ports[0]}", keys.tag)
    owner = int(url.rsplit(":", 1)[1])
    return owner, next(port for port in ports if port != owner)


def test_the_deployment_slot_is_served_by_the_resolved_primary(cluster: list[int]) -> None:
    keys = Keys(prefix="cluster-probe")
    owner, other = _owner_and_other(cluster, keys)
    assert owner in cluster
    # Asked of any node, the answer is the same.
    assert primary_url(f"redis+cluster://127.0.0.1:{other}", keys.tag).endswith(f":{owner}")
    redis.Redis(port=owner).set(keys.journal, b"x")  # the primary accepts the keys
    with pytest.raises(redis.exceptions.MovedError):
        redis.Redis(port=other).set(keys.journal, b"x")  # another node redirects


@pytest.mark.timeout(330)  # its replay subprocess is bounded at 300 s
def test_replay_into_a_cluster_through_any_node(cluster: list[int], tmp_path: Path) -> None:
    keys = Keys(prefix="cluster-replay")
    owner, other = _owner_and_other(cluster, keys)
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    command = [
        sys.executable, "-m", "eventstream", "replay", "--quiet",
        "--redis-url", f"redis+cluster://127.0.0.1:{other}", "--prefix", keys.prefix,
        str(corpus_dir() / "cloudtrail" / "invictus.jsonl"),
    ]  # fmt: skip
    done = subprocess.run(
        command, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    found = re.search(r"journaled (\d+)", done.stderr)
    assert found is not None, done.stderr
    journaled = int(found.group(1))
    assert journaled > 400
    assert redis.Redis(port=owner).xlen(keys.journal) == journaled
    assert f":{owner}" in done.stderr.splitlines()[-1], "it reports the node it used"
