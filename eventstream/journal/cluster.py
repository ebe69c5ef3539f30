"""Redis Cluster: every key of a deployment lives in the one slot of its hash tag.

`keys.py` gives every key the tag `{<prefix>}`, so the journal, the index and every asset of a
deployment hash to one slot, served by one primary node. A `redis+cluster://` (or
`rediss+cluster://`) URL names any node of the cluster; `primary_url` asks it which primary
serves the deployment's slot (`CLUSTER KEYSLOT`, `CLUSTER SLOTS`) and returns a plain URL of
that node, with the seed's credentials and TLS, which every part of EventStream then uses as
it would a single Redis. Scripts touch keys of that one slot only, as a cluster requires.

Resharding that slot to another node, or a failover, makes the old node answer `MOVED` (or
stop answering); EventStream reports it and resolves the slot again when it starts.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from eventstream.errors import RedisUnavailableError
from eventstream.journal.urls import safe_url

CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}


def is_cluster_url(url: str) -> bool:
    return urlsplit(url).scheme in CLUSTER_SCHEMES


def primary_url(url: str, key_tag: str, timeout_s: float = 5.0) -> str:
    """The URL of the primary node that serves `key_tag`'s slot, asked of the seed `url`."""
    parts = urlsplit(url)
    scheme = CLUSTER_SCHEMES[parts.scheme]
    seed = urlunsplit((scheme, parts.netloc, parts.path, parts.query, parts.fragment))
    client = redis.Redis.from_url(
        seed,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        retry=Retry(NoBackoff(), 0),
    )
    shown = safe_url(url)
    try:
        slot = int(client.execute_command("CLUSTER", "KEYSLOT", key_tag))  # type: ignore[no-untyped-call]
        ranges = client.execute_command("CLUSTER", "SLOTS")  # type: ignore[no-untyped-call]
    except redis.ResponseError as error:
        raise RedisUnavailableError(shown, f"not a Redis Cluster node: {error}") from None
    except (redis.RedisError, OSError) as error:
        raise RedisUnavailableError(shown, str(error) or type(error).__name__) from None
    finally:
        client.close()
    for first, last, primary, *_ in ranges:
        if int(first) <= slot <= int(last):
            host = primary[0].decode() if isinstance(primary[0], bytes) else str(primary[0])
            host = host or (parts.hostname or "127.0.0.1")  # "" means: the node asked
            netloc = f"[{host}]" if ":" in host else host
            userinfo = parts.netloc.rpartition("@")[0]
            netloc = f"{netloc}:{int(primary[1])}"
            netloc = f"{userinfo}@{netloc}" if userinfo else netloc
            return urlunsplit((scheme, netloc, parts.path, parts.query, ""))
    raise RedisUnavailableError(shown, f"no node serves slot {slot} of {key_tag}")
