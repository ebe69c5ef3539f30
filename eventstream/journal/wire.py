"""One Redis command with thousands of arguments, packed in C.

redis-py's asyncio client packs commands in Python, about a microsecond per argument; a
commit batch is one `EVALSHA` with some 10,000 arguments. `call` packs it with hiredis (a
dependency) and sends it on a connection of the client's own pool, so timeouts, TLS and
authentication stay the client's. Error replies raise `ResponseError` (its subclasses, such as
`NoScriptError`, as redis-py maps them); a connection that failed mid-command is dropped.
"""

from __future__ import annotations

from typing import Any, cast

import hiredis
from redis.asyncio import Redis


async def call(redis: Redis, *args: bytes | str | int | float) -> Any:
    """Send one command and return its reply."""
    pool = redis.connection_pool
    connection = await pool.get_connection()  # type: ignore[no-untyped-call]
    try:
        await connection.send_packed_command(
            hiredis.pack_command(cast(Any, args)), check_health=False
        )
        return await connection.read_response()
    except BaseException:
        await connection.disconnect(nowait=True)
        raise
    finally:
        await pool.release(connection)
