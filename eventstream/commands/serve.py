"""`eventstream serve`: the HTTP server (SSE, REST, health, metrics) over the Redis journal.

With no configuration it listens on http://127.0.0.1:8080; `--demo` also feeds it: the bundled
sample trail at a steady pace, then a live scenario of new CloudTrail records. Redis is
`--redis-url`, else `REDIS_URL` (or `[redis] url` in `--config`), else an embedded
redis-server keeping its data in `.eventstream/redis` (`[redis] data_dir`), stopped on exit.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import uvicorn

from eventstream.config import load_settings, with_options
from eventstream.config.serve import ServeSettings, check_exposure
from eventstream.errors import ConfigError, EventStreamError
from eventstream.journal.keys import Keys
from eventstream.serve import logs
from eventstream.serve.app import AppConfig, IngestFactory, create_app
from eventstream.serve.runtime import tune_gc
from eventstream.serve.wiring import ingest_factory, load_serve_settings, redis_url_for
from eventstream.sources.demo import DemoSource, FileReplay

log = logging.getLogger("eventstream.serve")

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample.jsonl"


def register(subparsers: Any) -> None:
    command = subparsers.add_parser(
        "serve",
        help="serve the stream of asset changes over HTTP (SSE, REST, metrics)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    command.add_argument("--port", type=int, help="port to listen on (default 8080)")
    command.add_argument("--config", metavar="FILE", help="TOML configuration file")
    command.add_argument("--redis-url", help="Redis to use (default: $REDIS_URL, else embedded)")
    command.add_argument(
        "--prefix", default=None, help="Redis key prefix (default: [redis] key_prefix, es)"
    )
    command.add_argument(
        "--demo", action="store_true", help="feed the bundled sample and a live scenario"
    )
    command.add_argument(
        "--demo-pace-s", type=float, default=0.02, help="seconds between sample records"
    )
    command.add_argument(
        "--demo-step-s", type=float, default=3.0, help="seconds between scenario steps"
    )
    command.add_argument(
        "--ingest", nargs="+", metavar="PATH", default=[], help="also ingest these trail files"
    )
    command.add_argument(
        "--ingest-pace-s", type=float, default=0.0, help="seconds between ingested records"
    )
    command.add_argument(
        "--allow-unauthenticated",
        action="store_true",
        help="allow a non-loopback --host without tokens (everyone sees everything)",
    )
    command.add_argument("--log-level", default="info", help="debug, info, warning, error")
    command.set_defaults(run=run)


def _settings(args: argparse.Namespace) -> ServeSettings:
    settings = load_serve_settings(args.config)
    overrides: dict[str, Any] = {}
    if args.host is not None:
        overrides["host"] = args.host
    if args.port is not None:
        overrides["port"] = args.port
    if args.allow_unauthenticated:
        overrides["allow_unauthenticated"] = True
    return settings.model_copy(update=overrides) if overrides else settings


def _sources(args: argparse.Namespace) -> list[Any]:
    sources: list[Any] = []
    if args.demo:
        sample = SAMPLE if SAMPLE.is_file() else None
        sources.append(DemoSource(sample, pace_s=args.demo_pace_s, step_s=args.demo_step_s))
    if args.ingest:
        sources.append(FileReplay(args.ingest, args.ingest_pace_s))
    return sources


def run(args: argparse.Namespace) -> int:
    logs.configure(args.log_level)
    try:
        return _serve(args)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except EventStreamError as error:  # e.g. the embedded Redis cannot start
        print(f"error: {error}", file=sys.stderr)
        return 3


def _serve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    refusal = check_exposure(settings)
    if refusal is not None:
        print(f"error: refusing to start: {refusal}", file=sys.stderr)
        return 2
    config = with_options(
        load_settings(args.config), redis__url=args.redis_url, redis__key_prefix=args.prefix
    )
    keys = Keys(prefix=config.redis.key_prefix)
    with ExitStack() as stack:
        url = redis_url_for(args.redis_url, config.redis, keys.tag, stack)
        sources = _sources(args)
        factory: IngestFactory | None = ingest_factory(sources, config, url) if sources else None
        app = create_app(AppConfig(settings, url, keys, factory))
        server = uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            lifespan="on",
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=int(settings.shutdown_grace_s) + 3,
        )
        shown = f"[{settings.host}]" if ":" in settings.host else settings.host
        log.info("serving", extra={"url": f"http://{shown}:{settings.port}", "demo": args.demo})
        # uvicorn drains on SIGTERM, then raises it again: a no-op handler turns that into a
        # normal return, so the embedded Redis (in `stack`) is stopped and the exit status is 0.
        signal.signal(signal.SIGTERM, _drained)
        tune_gc()
        uvicorn.Server(server).run()
    return 0


def _drained(signum: int, frame: object) -> None:
    log.info("stopped", extra={"signal": signum})
