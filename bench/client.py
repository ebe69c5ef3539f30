"""Client: typed events per second that one client process parses from a local server, against
the raw byte rate of the same stream read without parsing, in the same run.

Method: a real redis-server and `python -m eventstream serve` as subprocesses on 127.0.0.1;
the journal gets N real normalized events (the corpus' Invictus trail, ~2.9 KB each, cycled).
The stream the server sends for `?from=earliest` is read once, whole, and its bytes recorded
(that read also times the typed client against the real server, printed for context: there the
server's replay is the limit). Then a small local HTTP server in its own process sends those
recorded bytes, as fast as the socket takes them, to each connection. Each round reads it
twice over aiohttp: raw (`iter_any()`, bytes counted, nothing parsed: the reference), and with
`EventStreamClient` (SSE parsing, pydantic validation into `AssetEvent`, dedup by id, the
`StreamEvent` handed to the loop). Rates are N divided by the time from the request to the
last byte (raw) or the N-th typed event. Medians over the rounds; targets: >= 30,000 typed
events/s and ratio >= 0.5.
"""

from __future__ import annotations

import argparse
import multiprocessing
import socket
import statistics
import sys
import time
from pathlib import Path

import aiohttp

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._serving import append, exit_on_sigterm, load_payloads, out, redis_server, run, serve
from eventstream import codec
from eventstream.client import EventStreamClient, StreamOptions

TARGET_EVENTS_S = 30_000
TARGET_RATIO = 0.5
_HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
    b"cache-control: no-cache\r\nconnection: close\r\n\r\n"
)


async def _record(port: int, events: int) -> tuple[bytes, float]:
    """The bytes of the real server's stream up to the N-th event, and the typed client's rate
    against the real server."""
    url = f"http://127.0.0.1:{port}"
    timeout = aiohttp.ClientTimeout(total=None, sock_read=30)
    body = bytearray()
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(f"{url}/v1/events", params={"from": "earliest"}) as response,
    ):
        async for chunk in response.content.iter_any():
            body += chunk
            if body.count(b"\ndata: ") >= events:
                break
    end = 0
    for _ in range(events):
        end = body.index(b"\n\n", body.index(b"\ndata: ", end)) + 2
    typed_s = await _typed(url, events)
    return bytes(body[:end]), typed_s


def _serve_bytes(sock: socket.socket, body: bytes) -> None:
    """The recorded stream to every connection, then close (runs in its own process)."""
    sock.listen(16)
    while True:
        connection, _ = sock.accept()
        with connection:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                request += chunk
            connection.sendall(_HEAD + body)


async def _raw(url: str, events: int) -> float:
    timeout = aiohttp.ClientTimeout(total=None, sock_read=30)
    started = time.perf_counter()
    size = 0
    async with (
        aiohttp.ClientSession(timeout=timeout, auto_decompress=False) as session,
        session.get(f"{url}/v1/events") as response,
    ):
        async for chunk in response.content.iter_any():
            size += len(chunk)
    took = time.perf_counter() - started
    if size == 0:
        raise RuntimeError("the raw read got nothing")
    return took


async def _typed(url: str, events: int) -> float:
    options = StreamOptions(idle_timeout_s=30, initial_delay_s=0.05)
    started = time.perf_counter()
    count, subjects = 0, 0
    async with EventStreamClient(url, options=options) as client:
        subscription = client.subscribe(start="earliest")
        async for event in subscription:
            count += 1
            subjects += bool(event.subject)
            if count == events:
                break
        await subscription.aclose()
    took = time.perf_counter() - started
    if subscription.stats.events != events or subjects != events:
        raise RuntimeError(f"typed {subscription.stats.events} of {events} events")
    return took


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="smoke run: 2,000 events, 2 rounds")
    args = parser.parse_args()
    if args.quick:
        args.events, args.rounds = 2000, 2
    exit_on_sigterm()
    payloads = load_payloads()
    with redis_server() as server:
        client = server.client()
        for start in range(0, args.events, 1000):
            append(client, payloads, start, min(1000, args.events - start))
        client.close()
        with serve("eventstream", server.url, {}) as served:
            body, server_typed_s = run(_record(served.port, args.events))
    out(
        f"recorded {len(body) / 1e6:.1f} MB for {args.events:,} events from the real server; "
        f"typed client against it: {args.events / server_typed_s:,.0f} events/s"
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    sender = multiprocessing.get_context("fork").Process(
        target=_serve_bytes, args=(sock, body), daemon=True
    )
    sender.start()
    raw_rates: list[float] = []
    typed_rates: list[float] = []
    try:
        for index in range(args.rounds):
            raw_rates.append(args.events / run(_raw(url, args.events)))
            typed_rates.append(args.events / run(_typed(url, args.events)))
            out(
                f"  round {index + 1}: raw {raw_rates[-1]:,.0f} events/s "
                f"({raw_rates[-1] * len(body) / args.events / 1e6:,.0f} MB/s), "
                f"typed {typed_rates[-1]:,.0f} events/s"
            )
    finally:
        sender.terminate()
        sender.join(timeout=10)
        sock.close()
    value, reference = statistics.median(typed_rates), statistics.median(raw_rates)
    ratio = value / reference
    out(
        f"median typed {value:,.0f} events/s vs raw {reference:,.0f} events/s: ratio "
        f"{ratio:.3f} (targets >= {TARGET_EVENTS_S:,} events/s, ratio >= {TARGET_RATIO})"
    )
    summary: dict[str, object] = {
        "metric": "client_typed_events_per_s",
        "value": round(value),
        "reference": round(reference),
        "ratio": round(ratio, 3),
        "target": {"events_per_s": TARGET_EVENTS_S, "ratio": TARGET_RATIO},
        "events": args.events,
        "event_bytes": round(len(body) / args.events),
        "typed_vs_real_server_events_per_s": round(args.events / server_typed_s),
    }
    print(codec.dumps(summary).decode(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
