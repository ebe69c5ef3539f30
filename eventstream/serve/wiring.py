"""What `eventstream serve` plugs together: settings, Redis, the committer and the sources."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import time
import tomllib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from redis.asyncio import Redis

from eventstream.errors import ConfigError
from eventstream.journal.keys import Keys
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.catalog import default_registry
from eventstream.serve.ingest import Ingest, JournalAppender, Source
from eventstream.serve.metrics import Metrics
from eventstream.serve.settings import ServeSettings

log = logging.getLogger(__name__)

_EMBEDDED_START_S = 10.0


def load_serve_settings(path: str | None) -> ServeSettings:
    """The `[serve]` section of a TOML file (or defaults); errors name the file and field."""
    if path is None:
        return ServeSettings()
    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
        return ServeSettings.model_validate(document.get("serve", {}))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"config={path}: {error}") from None
    except ValidationError as error:
        raise ConfigError(f"config={path}: [serve] {error}") from None


def redis_url_for(explicit: str | None, stack: ExitStack) -> str:
    """`--redis-url`, else `$REDIS_URL`, else an embedded redis-server kept open by `stack`."""
    url = explicit or os.environ.get("REDIS_URL")
    if url:
        return url
    return stack.enter_context(_embedded_redis())


@contextmanager
def _embedded_redis() -> Iterator[str]:
    """A private redis-server on a unix socket in a temporary folder, for this run only.

    Interim: the journal's own embedded Redis replaces this where it exists.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        raise ConfigError("no Redis: set REDIS_URL, or install redis-server for the embedded one")
    with tempfile.TemporaryDirectory(prefix="eventstream-redis-") as folder:
        sock = Path(folder) / "redis.sock"
        process = subprocess.Popen(
            [
                binary,
                "--port",
                "0",
                "--unixsocket",
                str(sock),
                "--unixsocketperm",
                "700",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                folder,
            ],
            stdout=subprocess.DEVNULL,
            start_new_session=True,  # a terminal's Ctrl-C stops the server, which then stops it
        )
        try:
            _wait_for(sock, process)
            log.info("embedded redis started", extra={"socket": str(sock), "pid": process.pid})
            yield f"unix://{sock}"
        finally:
            process.terminate()
            process.wait(timeout=10)


def _wait_for(sock: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + _EMBEDDED_START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ConfigError(f"embedded redis-server exited with status {process.returncode}")
        if sock.exists():
            return
        time.sleep(0.02)
    raise ConfigError(f"embedded redis-server did not open socket={sock}")


def ingest_factory(sources: list[Source]) -> Any:
    def build(redis: Redis, keys: Keys, metrics: Metrics) -> Ingest:
        normalizer = Normalizer(default_registry())
        return Ingest(sources, normalizer, JournalAppender(redis, keys), metrics)

    return build
