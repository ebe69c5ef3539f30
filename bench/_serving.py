"""What the serving benchmarks share: servers on loopback, a journal writer, a cheap SSE client.

- `redis_server()`: a real redis-server in a temporary folder on a free 127.0.0.1 port.
- `Served`: a server process (the real `eventstream serve`, or the raw reference streamer of
  `bench/_rawstream.py` under the same uvicorn settings), its RSS and CPU time from /proc.
- `Writer`: a separate process that appends events to the journal in the journal contract
  (XADD `event`/`subject`/`eid`), either as one burst or paced at a rate, when told to start.
- `SSEClient`: one raw asyncio connection (a `Protocol` on `loop.create_connection`, the
  callback form of `asyncio.open_connection`) that parses only the `id:` lines of the stream.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event as MpEvent
from pathlib import Path
from typing import Any, TypeVar, cast

import redis

from eventstream import codec
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.catalog import default_registry

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("EVENTSTREAM_CORPUS") or ROOT.parent / "shared" / "corpus")
RAWSTREAM = Path(__file__).resolve().parent / "_rawstream.py"
START_TIMEOUT_S = 20.0
PREFIX = "bench"
JOURNAL = f"{{{PREFIX}}}:journal"
T = TypeVar("T")


def raise_fd_limit() -> int:
    """Raise this process's open-file limit to its hard limit; returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def client_cpu_s() -> float:
    """CPU seconds (user + system) this process has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def exit_on_sigterm() -> None:
    """SIGTERM raises SystemExit, so `finally` blocks stop the subprocesses."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def out(line: str) -> None:
    print(line, flush=True)


# --- Redis -----------------------------------------------------------------------------------


@dataclass
class RedisServer:
    folder: Path
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port)


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server not found (apt-get install redis-server)")
    with tempfile.TemporaryDirectory(prefix="es-bench-redis-") as folder:
        port = free_port()
        args = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", ""]
        args += ["--appendonly", "no", "--dir", folder, "--maxclients", "1000"]
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        server = RedisServer(Path(folder), port, process)
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                try:
                    if server.client().ping():
                        break
                except redis.ConnectionError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise RuntimeError("redis-server did not start") from None
                    time.sleep(0.02)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


# --- Server processes ------------------------------------------------------------------------


def _raise_child_fd_limit() -> None:
    raise_fd_limit()


@dataclass
class Served:
    """A server subprocess on loopback; `name` is "eventstream" or "reference"."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Any
    folder: tempfile.TemporaryDirectory[str]

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        self.log.seek(0)
        text: str = self.log.read().decode(errors="replace")
        return text

    def rss_kb(self) -> int:
        """VmRSS of the server process, from /proc/<pid>/status."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def cpu_s(self) -> float:
        """User + system CPU seconds of the server process, from /proc/<pid>/stat."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.output()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    if sock.recv(64).startswith(b"HTTP/1.1 200"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not get ready: {self.output()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()
        self.folder.cleanup()


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


@contextmanager
def serve(name: str, redis_url: str, settings: dict[str, object]) -> Iterator[Served]:
    """Start `eventstream serve` ("eventstream") or the raw streamer ("reference") and wait.

    The real server gets `settings` as the `[serve]` table of a TOML file (`--config`); both
    are launched with the open-file limit raised to the hard limit (`preexec_fn`).
    """
    folder = tempfile.TemporaryDirectory(prefix="es-bench-serve-")
    port = free_port()
    if name == "eventstream":
        # Every client of a bench connects from 127.0.0.1: no per-address connection limit.
        settings = {"max_connections_per_client": 0, **settings}
        config = Path(folder.name) / "serve.toml"
        lines = ["[serve]", *(f"{key} = {_toml_value(v)}" for key, v in settings.items())]
        config.write_text("\n".join(lines) + "\n")
        command = [sys.executable, "-m", "eventstream", "serve", "--port", str(port)]
        command += ["--redis-url", redis_url, "--prefix", PREFIX, "--config", str(config)]
        command += ["--log-level", "warning"]
    else:
        command = [sys.executable, str(RAWSTREAM), "--port", str(port), "--redis-url", redis_url]
        command += ["--journal", JOURNAL]
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by Served.stop)
    process = subprocess.Popen(
        command,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        preexec_fn=_raise_child_fd_limit,  # noqa: PLW1509 (no threads run at this point)
    )
    served = Served(name, port, process, log, folder)
    try:
        served.wait_ready()
        yield served
    finally:
        served.stop()


# --- Events and the writer -------------------------------------------------------------------


Payload = tuple[bytes, bytes, bytes]  # event JSON, subject, eid


def load_payloads(limit: int = 1000) -> list[Payload]:
    """Real asset events: the Invictus trail of the corpus, normalized, serialized once."""
    path = CORPUS / "cloudtrail" / "invictus.jsonl"
    if not path.is_file():
        raise SystemExit(f"corpus not found at {path}; set EVENTSTREAM_CORPUS")
    normalizer = Normalizer(default_registry())
    payloads: list[Payload] = []
    with path.open("rb") as handle:
        for line in handle:
            if not line.strip():
                continue
            for event in normalizer.normalize(codec.loads(line)).events:
                payloads.append(
                    (codec.dumps(event), str(event["subject"]).encode(), str(event["id"]).encode())
                )
            if len(payloads) >= limit:
                break
    return payloads


def append(client: redis.Redis, payloads: Sequence[Payload], start: int, count: int) -> list[str]:
    """XADD `count` events (cycling through `payloads`) in one pipeline; their ids."""
    pipe = client.pipeline(transaction=False)
    for index in range(start, start + count):
        event, subject, eid = payloads[index % len(payloads)]
        pipe.xadd(JOURNAL, {b"event": event, b"subject": subject, b"eid": eid + b"-%d" % index})
    return [raw.decode() for raw in pipe.execute()]


@dataclass(frozen=True)
class Plan:
    """`count` events: as fast as possible in pipelines of `chunk` (rate 0), or at `rate`/s."""

    count: int
    rate: float = 0.0
    chunk: int = 500
    tick_s: float = 0.005


def _write(url: str, payloads: list[Payload], plan: Plan, go: MpEvent, conn: Connection) -> None:
    client = redis.Redis.from_url(url)
    client.ping()
    conn.send("ready")
    go.wait(timeout=600)
    started = time.monotonic()
    written = 0
    first = last = ""
    while written < plan.count:
        if plan.rate > 0:
            due = min(plan.count, int((time.monotonic() - started) * plan.rate) + 1) - written
            if due <= 0:
                time.sleep(plan.tick_s)
                continue
        else:
            due = min(plan.chunk, plan.count - written)
        ids = append(client, payloads, written, due)
        first = first or ids[0]
        last = ids[-1]
        written += due
    conn.send((started, time.monotonic(), written, first, last))
    conn.close()


class Writer:
    """A forked process that connects to Redis, waits for `go()`, then follows its plan."""

    def __init__(self, url: str, payloads: list[Payload], plan: Plan) -> None:
        context = multiprocessing.get_context("fork")
        self.go_event = context.Event()
        self.conn, child = context.Pipe(duplex=False)
        self.process = context.Process(
            target=_write, args=(url, payloads, plan, self.go_event, child), daemon=True
        )
        self.process.start()
        child.close()
        if not self.conn.poll(START_TIMEOUT_S) or self.conn.recv() != "ready":
            raise RuntimeError("writer did not start")

    def go(self) -> None:
        self.go_event.set()

    def result(self, timeout_s: float) -> tuple[float, float, int, str, str]:
        """(monotonic start, monotonic end, events written, first id, last id)."""
        if not self.conn.poll(timeout_s):
            raise RuntimeError("writer did not finish")
        found: tuple[float, float, int, str, str] = self.conn.recv()
        return found

    def close(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=10)
        self.conn.close()


# --- SSE client ------------------------------------------------------------------------------

_ID_MS = re.compile(rb"\nid: (\d+)-")
_LATENCY_CAP_MS = 120_000


@dataclass
class Shared:
    """What all clients of one run report into (one event loop, no locks)."""

    expected: int = 0  # events each client waits for (0: none)
    ready: int = 0
    done: int = 0
    ended: int = 0
    ready_event: asyncio.Event = field(default_factory=asyncio.Event)
    done_event: asyncio.Event = field(default_factory=asyncio.Event)
    target_ready: int = 0
    target_done: int = 0
    histogram: list[int] | None = None  # latency ms -> count, when measuring latency

    def arm(self, clients: int) -> None:
        self.target_ready = self.target_done = clients


class SSEClient(asyncio.Protocol):
    """One stream. Counts `id:` lines after the response head block; keeps the last id.

    The head block (`retry:` + `id:` of the live position) marks the stream as connected and is
    not counted. With `shared.histogram`, the ms part of every id is a Redis commit time (stream
    ids are `<ms>-<seq>` of the XADD), so receipt time minus it is the commit-to-receipt latency.
    """

    def __init__(self, port: int, shared: Shared, headers: str = "", head_id: bool = True) -> None:
        self.request = (
            f"GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Accept: text/event-stream\r\n{headers}\r\n"
        ).encode()
        self.shared = shared
        self.transport: asyncio.WriteTransport | None = None
        self.head = b""
        self.body = False
        self.connected = False
        self.carry = b""
        self.count = 0
        self.last_id = b""
        self.status = 0
        self.closed = asyncio.get_running_loop().create_future()
        self.started = 0.0
        self.finished = 0.0
        self.head_id = head_id  # False: a resumed stream, whose head block has no id

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are no subclasses of asyncio.Transport: no isinstance check
        self.transport = cast(asyncio.WriteTransport, transport)
        self.started = time.monotonic()
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        if not self.body:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            self.status = int(self.head[9:12])
            data = self.head[end + 2 :]  # keep a leading "\n" before the first chunk line
            self.body = True
            if not self.head_id:
                self._ready()
        buffer = self.carry + data
        cut = buffer.rfind(b"\n")
        if cut < 0:
            self.carry = buffer
            return
        region = buffer[:cut]
        self.carry = buffer[cut:]
        found = region.count(b"\nid: ")
        if not found:
            return
        at = region.rfind(b"\nid: ")
        self.last_id = region[at + 5 : region.find(b"\n", at + 1)]
        if not self.connected:
            self._ready()
            found -= 1  # the head block's id
            if not found:
                return
        if self.shared.histogram is not None:
            now_ms = time.time() * 1000.0
            histogram = self.shared.histogram
            for raw in _ID_MS.findall(region)[-found:]:
                histogram[min(_LATENCY_CAP_MS, max(0, int(now_ms - int(raw))))] += 1
        before = self.count
        self.count += found
        expected = self.shared.expected
        if expected and before < expected <= self.count:
            self.finished = time.monotonic()
            self.shared.done += 1
            if self.shared.done >= self.shared.target_done:
                self.shared.done_event.set()

    def _ready(self) -> None:
        self.connected = True
        self.shared.ready += 1
        if self.shared.ready >= self.shared.target_ready:
            self.shared.ready_event.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self.shared.ended += 1
        if not self.closed.done():
            self.closed.set_result(None)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def new_histogram() -> list[int]:
    return [0] * (_LATENCY_CAP_MS + 1)


def percentile(histogram: list[int], fraction: float) -> int:
    """The smallest ms value at or below which `fraction` of the counted latencies lie."""
    total = sum(histogram)
    if total == 0:
        return -1
    rank = max(1, math.ceil(fraction * total - 1e-9))
    seen = 0
    for value, count in enumerate(histogram):
        seen += count
        if seen >= rank:
            return value
    return len(histogram) - 1


def maximum(histogram: list[int]) -> int:
    for value in range(len(histogram) - 1, -1, -1):
        if histogram[value]:
            return value
    return -1


async def connect(
    port: int,
    shared: Shared,
    count: int,
    *,
    headers: str = "",
    timeout_s: float = 120.0,
    wave_size: int = 500,
) -> list[SSEClient]:
    """Open `count` streams in waves and wait until each got its head block.

    The waves (default 500) only keep each burst of connections within the server's listen
    backlog (uvicorn's default is 2,048); the server itself takes any burst.
    """
    loop = asyncio.get_running_loop()
    clients: list[SSEClient] = []
    shared.target_ready = shared.ready + count
    shared.ready_event.clear()
    deadline = loop.time() + timeout_s
    for offset in range(0, count, wave_size):
        wave = min(wave_size, count - offset)
        made = await asyncio.gather(
            *(
                loop.create_connection(lambda: SSEClient(port, shared, headers), "127.0.0.1", port)
                for _ in range(wave)
            )
        )
        clients.extend(protocol for _, protocol in made)
        while shared.ready < shared.target_ready - (count - offset - wave):
            if loop.time() > deadline:
                raise RuntimeError(f"only {shared.ready} of {count} streams connected")
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.02)
    await asyncio.wait_for(shared.ready_event.wait(), max(0.1, deadline - loop.time()))
    await asyncio.sleep(0.2)
    lost = sum(1 for client in clients if client.closed.done())
    if lost:
        out(f"  warning: {lost} of {count} streams ended right after connecting")
    return clients


async def close_all(clients: list[SSEClient], timeout_s: float = 10.0) -> None:
    for client in clients:
        client.close()
    pending = [client.closed for client in clients if not client.closed.done()]
    if pending:
        await asyncio.wait(pending, timeout=timeout_s)


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run the client on uvloop when it is installed (it is, with uvicorn[standard])."""
    try:
        import uvloop  # noqa: PLC0415
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)
