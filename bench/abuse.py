"""/healthz latency and server RSS under slowloris and header bombs; attackers cut.

Method: a real redis-server and `python -m eventstream serve` (`head_timeout_s` 2, other
bounds at their defaults, no per-address limit: every client is 127.0.0.1) as subprocesses on
127.0.0.1. A prober process (forked, so that the attack's client work does not delay it) sends
`GET /healthz` every 50 ms on one keep-alive connection from 127.0.0.2 and times each answer;
the bench reads the server's RSS every 50 ms. Three phases of `--seconds` each: idle; N
slowloris connections, each sending a request head a byte every 0.5 s; waves of K concurrent
requests with a 16 MB header each, written as fast as the server reads. Reported: /healthz
p50/p99/max per phase, RSS growth over the idle phase's, how many slowloris connections the
server closed and how soon, and how many bytes of each bomb it took before answering. With
`--reference` (default on) the raw ASGI streamer of `bench/_rawstream.py` (plain uvicorn with
httptools, the server's HTTP stack without its bounds) takes the same attack, for context.
Targets are absolute: /healthz p99 <= 50 ms under attack and RSS growth <= 50 MB; the JSON's
`reference` is the latency target and `ratio` is target / p99 (>= 1 meets it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import socket
import sys
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event as MpEvent
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._serving import Served, exit_on_sigterm, out, raise_fd_limit, redis_server, serve
from eventstream import codec

TARGET_P99_MS = 50.0
TARGET_RSS_MB = 50.0
HEAD_TIMEOUT_S = 2.0
PROBE_INTERVAL_S = 0.05
_HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def _probe(port: int, stop: MpEvent, results: Connection) -> None:
    """In a process of its own: /healthz every 50 ms from 127.0.0.2; the latencies in s."""
    latencies: list[float] = []
    with socket.create_connection(("127.0.0.1", port), source_address=("127.0.0.2", 0)) as sock:
        while not stop.wait(PROBE_INTERVAL_S):
            started = time.perf_counter()
            sock.sendall(_HEALTHZ)
            _read_answer(sock)
            latencies.append(time.perf_counter() - started)
    results.send(latencies)


def _read_answer(sock: socket.socket) -> None:
    """One response: its head, then its body by Content-Length or to its last chunk."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length if length is not None else not body.endswith(b"0\r\n\r\n"):
        body += sock.recv(65536)


@dataclass
class Phase:
    """What one phase measured."""

    latencies_ms: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    note: str = ""

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


async def _watched(served: Served, attack: object, seconds: float) -> Phase:
    """Run `attack` (a coroutine returning a note, or None: idle) for `seconds` under the
    prober and the RSS reader."""
    context = multiprocessing.get_context("fork")
    stop = context.Event()
    receiver, sender = context.Pipe(duplex=False)
    prober = context.Process(target=_probe, args=(served.port, stop, sender), daemon=True)
    prober.start()
    phase = Phase()

    async def sample() -> None:
        while True:
            phase.rss_mb.append(served.rss_kb() / 1024)
            await asyncio.sleep(PROBE_INTERVAL_S)

    sampler = asyncio.create_task(sample())
    try:
        if attack is None:
            await asyncio.sleep(seconds)
        else:
            assert asyncio.iscoroutine(attack)
            phase.note = await attack
    finally:
        sampler.cancel()
        stop.set()
        phase.latencies_ms = [s * 1000 for s in receiver.recv()]
        prober.join(timeout=10)
    return phase


async def _slowloris(port: int, connections: int, seconds: float) -> str:
    """N connections trickling a head; how many the server closed within `seconds`."""
    closed: list[float] = []
    started = time.monotonic()

    async def one() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for byte in b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100:
                writer.write(bytes([byte]))
                await writer.drain()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.5):
                        while await reader.read(65536):
                            pass
                        closed.append(time.monotonic() - started)
                        return
        except ConnectionError:
            closed.append(time.monotonic() - started)
        finally:
            writer.close()

    tasks = [asyncio.create_task(one()) for _ in range(connections)]
    await asyncio.wait(tasks, timeout=seconds)
    await asyncio.sleep(max(0.0, started + seconds - time.monotonic()))  # the whole phase
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    slowest = f", the last {max(closed):.2f} s after the first connected" if closed else ""
    return f"{len(closed)} of {connections} slow connections closed by the server{slowest}"


async def _bombs(port: int, concurrent: int, megabytes: int, seconds: float) -> str:
    """Waves of header bombs for `seconds`; bytes each wrote before the server's answer."""
    written: list[int] = []
    answers: dict[str, int] = {}
    deadline = time.monotonic() + seconds

    async def one() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        sent = 0
        filler = b"b" * 65536

        async def flood() -> None:
            nonlocal sent
            with contextlib.suppress(ConnectionError):
                writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Bomb: ")
                for _ in range(megabytes * 16):
                    writer.write(filler)
                    await writer.drain()
                    sent += len(filler)
                writer.write(b"\r\n\r\n")
                await writer.drain()

        flooding = asyncio.create_task(flood())
        try:
            with contextlib.suppress(ConnectionError, TimeoutError):
                async with asyncio.timeout(30):
                    line = await reader.readline()
                    status = line.split(b" ")[1].decode() if line else "reset"
                    answers[status] = answers.get(status, 0) + 1
            written.append(sent)
        finally:
            flooding.cancel()
            await asyncio.gather(flooding, return_exceptions=True)
            writer.close()

    while time.monotonic() < deadline:
        await asyncio.gather(*(one() for _ in range(concurrent)))
    mean_mb = sum(written) / len(written) / (1 << 20) if written else 0.0
    return (
        f"{len(written)} bombs of {megabytes} MB, answers {answers}, "
        f"{mean_mb:.1f} MB written by each before the answer on average"
    )


async def _measure(served: Served, args: argparse.Namespace) -> dict[str, Phase]:
    await asyncio.sleep(0.5)
    phases = {"idle": await _watched(served, None, args.seconds)}
    phases["slowloris"] = await _watched(
        served, _slowloris(served.port, args.slow, args.seconds), args.seconds
    )
    await asyncio.sleep(HEAD_TIMEOUT_S)
    phases["bombs"] = await _watched(
        served, _bombs(served.port, args.bombs, args.bomb_mb, args.seconds), args.seconds
    )
    return phases


def one_run(name: str, redis_url: str, args: argparse.Namespace) -> dict[str, Phase]:
    settings: dict[str, object] = {"head_timeout_s": HEAD_TIMEOUT_S}
    with serve(name, redis_url, settings) as served:
        phases = asyncio.run(_measure(served, args))
    idle_mb = max(phases["idle"].rss_mb)
    for phase_name, phase in phases.items():
        growth = max(phase.rss_mb) - idle_mb
        out(
            f"  {name:>11} {phase_name:>9}: /healthz p50 {phase.percentile(0.5):.1f} ms, "
            f"p99 {phase.percentile(0.99):.1f} ms, max {max(phase.latencies_ms):.1f} ms "
            f"({len(phase.latencies_ms)} probes); RSS {max(phase.rss_mb):.1f} MB "
            f"({growth:+.1f} MB){'; ' + phase.note if phase.note else ''}"
        )
    return phases


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--slow", type=int, default=500, help="slowloris connections")
    parser.add_argument("--bombs", type=int, default=4, help="concurrent header bombs")
    parser.add_argument("--bomb-mb", type=int, default=16, help="size of each bomb's header")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each phase")
    parser.add_argument(
        "--reference",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also attack the raw ASGI streamer on plain uvicorn (context)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 100 slow, 2 bombs")
    args = parser.parse_args()
    if args.quick:
        args.slow, args.bombs, args.seconds = 100, 2, 3.0
    raise_fd_limit()
    exit_on_sigterm()
    out(
        f"{args.slow} slowloris connections, {args.bombs} concurrent {args.bomb_mb} MB header "
        f"bombs, {args.seconds:g} s per phase; head_timeout_s {HEAD_TIMEOUT_S:g}"
    )
    names = ["eventstream", "reference"] if args.reference else ["eventstream"]
    results: dict[str, dict[str, Phase]] = {}
    with redis_server() as redis:
        for name in names:
            results[name] = one_run(name, redis.url, args)
    ours = results["eventstream"]
    p99 = max(ours[name].percentile(0.99) for name in ("slowloris", "bombs"))
    growth = max(max(phase.rss_mb) for phase in ours.values()) - max(ours["idle"].rss_mb)
    out(
        f"p99 under attack {p99:.1f} ms (target <= {TARGET_P99_MS:g} ms), "
        f"RSS growth {growth:.1f} MB (target <= {TARGET_RSS_MB:g} MB)"
    )
    summary: dict[str, object] = {
        "metric": "healthz_p99_ms_under_attack",
        "value": round(p99, 2),
        "reference": TARGET_P99_MS,
        "ratio": round(TARGET_P99_MS / p99, 3) if p99 > 0 else None,
        "target": TARGET_P99_MS,
        "idle_p99_ms": round(ours["idle"].percentile(0.99), 2),
        "rss_growth_mb": round(growth, 1),
        "rss_target_mb": TARGET_RSS_MB,
    }
    if "reference" in results:
        theirs = results["reference"]
        summary["uvicorn_p99_ms_under_attack"] = round(
            max(theirs[name].percentile(0.99) for name in ("slowloris", "bombs")), 2
        )
        summary["uvicorn_rss_growth_mb"] = round(
            max(max(phase.rss_mb) for phase in theirs.values()) - max(theirs["idle"].rss_mb), 1
        )
    print(codec.dumps(summary).decode(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
