"""Poison records in the middle of good input, through every command that runs the pipeline.

The inputs: a record nested 300 levels deep inside `requestParameters`, a corrupt gzip, a
truncated gzip, a decompression bomb (300 MiB of JSON whitespace in a 300 KiB gzip, beyond the
default `max_document_bytes` of 256 MiB) and a 200 MB line, each between files or lines of good
Invictus records. `normalize`, `replay`, `serve --ingest` and `ingest` each run as a real
process: the good records' events all come out (journaled, for the committing commands), each
bad input is reported or quarantined with its reason, and for the two long-running commands
`/healthz` answers within 1 s throughout (the event loop is never blocked for long).
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import aiohttp
import pytest
from redis.asyncio import Redis

from eventstream import codec
from eventstream.journal.keys import ID_FIELD, Keys
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.catalog import default_registry
from eventstream.sources.files import RawRecord, read_paths
from tests.conftest import read_jsonl
from tests.serve.servers import RedisServer, free_port, redis_server

pytestmark = pytest.mark.timeout(300)

_DONE_S = 120.0
_HEALTHZ_MAX_S = 1.0
_BASE = [sys.executable, "-m", "eventstream"]
_REASONS = {
    "deep": r"nested too deep",
    "corrupt": r"corrupt gzip data|gzip data",
    "truncated": r"truncated gzip data",
    "bomb": r"larger than \d+ bytes after decompression \(pipeline\.max_document_bytes\)",
    "long": r"line longer than \d+ bytes \(pipeline\.max_line_bytes\)",
}


@dataclass(frozen=True)
class Poisoned:
    paths: list[str]
    expected_ids: frozenset[str]  # the event ids the good records normalize to


def _deep_line(record: dict[str, Any], depth: int) -> bytes:
    """`record` with a value nested `depth` objects deep added to its `requestParameters`, as
    one JSON line (built as text: the codec itself refuses to write more than 254 levels)."""
    nested = b'{"a":' * depth + b'{"leaf":true}' + b"}" * depth
    parameters = {**record["requestParameters"], "deep": "DEEP"}
    line = codec.dumps({**record, "requestParameters": parameters}).replace(b'"DEEP"', nested)
    assert codec.loads(line)["eventID"] == record["eventID"]  # orjson reads up to 1,024 levels
    return line + b"\n"


def _jsonl(records: list[dict[str, Any]]) -> bytes:
    return b"".join(codec.dumps(record) + b"\n" for record in records)


def _bomb(path: Path, size: int) -> None:
    """`{"Records": [` + `size` bytes of spaces + `]}`, gzipped, written in slices."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    spaces = b" " * (1 << 20)
    with path.open("wb") as sink:
        sink.write(compressor.compress(b'{"Records": ['))
        for _ in range(size >> 20):
            sink.write(compressor.compress(spaces))
        sink.write(compressor.compress(b"]}"))
        sink.write(compressor.flush())


@pytest.fixture(scope="module")
def poisoned(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> Poisoned:
    folder = tmp_path_factory.mktemp("poison")
    records = list(read_jsonl(corpus / "cloudtrail" / "invictus.jsonl"))
    normalizer = Normalizer(default_registry())
    changes = [r for r in records if normalizer.normalize(r).events]
    deep = _deep_line({**changes[0], "eventID": "deep-record"}, 300)
    part_a, part_c = records[:1000], records[1000:]
    exports = sorted((corpus / "s3-export" / "invictus").glob("*.json.gz"))
    good_gzip, sacrificed = exports[0], max(exports[1:], key=lambda p: p.stat().st_size)

    a = folder / "a-good-with-deep.jsonl"
    a.write_bytes(_jsonl(part_a[:500]) + deep + _jsonl(part_a[500:]))
    corrupt = bytearray(sacrificed.read_bytes())
    middle = len(corrupt) // 2
    corrupt[middle : middle + 8] = bytes(b ^ 0xFF for b in corrupt[middle : middle + 8])
    (folder / "b-corrupt.json.gz").write_bytes(corrupt)
    (folder / "c-good.json.gz").write_bytes(good_gzip.read_bytes())
    whole = sacrificed.read_bytes()
    (folder / "d-truncated.json.gz").write_bytes(whole[: len(whole) // 2])
    _bomb(folder / "e-bomb.json.gz", 300 << 20)
    long_line = b'{"eventID": "huge", "pad": "' + b"x" * (200 * 1000 * 1000) + b'"}\n'
    with (folder / "f-long-line.jsonl").open("wb") as sink:
        sink.write(codec.dumps(part_c[0]) + b"\n")
        sink.write(long_line)
        sink.write(_jsonl(part_c[1:10]))
    (folder / "g-good.jsonl").write_bytes(_jsonl(part_c[10:]))

    good = [*part_a, *part_c]
    good += [item.payload for item in read_paths([str(good_gzip)]) if isinstance(item, RawRecord)]
    ids = frozenset(e["id"] for r in good for e in normalizer.normalize(r).events)
    paths = sorted(str(p) for p in folder.iterdir())
    return Poisoned(paths, ids)


@pytest.fixture(scope="module")
def redis_srv() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


def _check_reasons(texts: list[str]) -> None:
    """Exactly one report per bad input, with its own reason."""
    for name, pattern in _REASONS.items():
        hits = [text for text in texts if re.search(pattern, text)]
        assert hits, f"no report for the {name} input in {texts}"
    assert len(texts) == len(_REASONS), texts


def test_normalize_reports_every_poison_and_emits_every_good_event(poisoned: Poisoned) -> None:
    done = subprocess.run(
        [*_BASE, "normalize", *poisoned.paths], capture_output=True, timeout=_DONE_S, check=False
    )
    assert done.returncode == 2, done.stderr.decode()[-3000:]
    ids = {codec.loads(line)["id"] for line in done.stdout.splitlines() if line.strip()}
    assert ids == poisoned.expected_ids
    stderr = done.stderr.decode()
    reports = [line for line in stderr.splitlines() if "malformed" in line or "cannot" in line]
    reports = [line for line in reports if not line.startswith("summary")]
    _check_reasons(reports)


async def _journal_ids(redis_url: str, keys: Keys) -> set[str]:
    client = Redis.from_url(redis_url)
    try:
        rows = cast(list[tuple[bytes, dict[bytes, bytes]]], await client.xrange(keys.journal))
        return {fields[ID_FIELD].decode() for _, fields in rows}
    finally:
        await client.aclose()


def _quarantine(redis_url: str, prefix: str) -> list[dict[str, Any]]:
    done = subprocess.run(
        [*_BASE, "quarantine", "list", "--redis-url", redis_url, "--prefix", prefix, "--json"],
        capture_output=True,
        timeout=60,
        check=True,
    )
    return [codec.loads(line) for line in done.stdout.splitlines() if line.strip()]


def test_replay_commits_every_good_record_and_quarantines_the_rest(
    poisoned: Poisoned, redis_srv: RedisServer
) -> None:
    prefix = f"p{uuid.uuid4().hex[:8]}"
    command = [*_BASE, "replay", "--redis-url", redis_srv.url, "--prefix", prefix, "--quiet"]
    done = subprocess.run(
        [*command, *poisoned.paths], capture_output=True, timeout=_DONE_S, check=False
    )
    assert done.returncode == 2, done.stderr.decode()[-3000:]
    ids = asyncio.run(_journal_ids(redis_srv.url, Keys(prefix)))
    assert ids == poisoned.expected_ids
    _check_reasons([entry["reason"] for entry in _quarantine(redis_srv.url, prefix)])


async def _finished(client: Redis, keys: Keys, events: int) -> bool:
    quarantined = int(await client.xlen(keys.quarantine))
    return quarantined >= len(_REASONS) and int(await client.xlen(keys.journal)) >= events


async def _run_live(
    command: list[str], port: int, redis_url: str, keys: Keys, events: int
) -> float:
    """Runs a long-running command until `events` are journaled and every bad input is
    quarantined (or it ends by itself, as `ingest` does when its files are read), polling
    `/healthz` every 100 ms; returns the slowest answer, in seconds."""
    process = await asyncio.create_subprocess_exec(
        *command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    slowest, up = 0.0, False
    client = Redis.from_url(redis_url)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            deadline = time.monotonic() + _DONE_S
            while process.returncode is None and not (up and await _finished(client, keys, events)):
                assert time.monotonic() < deadline, "the pipeline did not finish in time"
                started = time.monotonic()
                try:
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                        assert response.status == 200
                    up = True
                    slowest = max(slowest, time.monotonic() - started)
                except aiohttp.ClientConnectorError:
                    assert not up or process.returncode is not None, "/healthz went away"
                await asyncio.sleep(0.1)
    finally:
        await client.aclose()
        if process.returncode is None:
            process.terminate()
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, stderr.decode()[-3000:]
    assert up, "/healthz never answered"
    return slowest


@pytest.mark.parametrize("mode", ["serve", "ingest"])
async def test_live_commands_keep_running_and_answering(
    mode: str, poisoned: Poisoned, redis_srv: RedisServer
) -> None:
    prefix = f"p{uuid.uuid4().hex[:8]}"
    port = free_port()
    common = ["--redis-url", redis_srv.url, "--prefix", prefix]
    if mode == "serve":
        command = [*_BASE, "serve", "--port", str(port), *common, "--ingest", *poisoned.paths]
    else:
        command = [*_BASE, "ingest", "--metrics-port", str(port), *common, *poisoned.paths]
    events = len(poisoned.expected_ids)
    slowest = await _run_live(command, port, redis_srv.url, Keys(prefix), events)
    print(f"slowest /healthz answer: {slowest:.3f} s")
    assert slowest < _HEALTHZ_MAX_S
    assert await _journal_ids(redis_srv.url, Keys(prefix)) == poisoned.expected_ids
    entries = await asyncio.to_thread(_quarantine, redis_srv.url, prefix)
    _check_reasons([entry["reason"] for entry in entries])
