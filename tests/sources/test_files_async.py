"""`read_paths_async`: the same items as `read_paths`, read in a worker thread that never blocks
the event loop and stops when its consumer does."""

from __future__ import annotations

import asyncio
import io
import os
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from eventstream import codec
from eventstream.errors import MalformedRecordError
from eventstream.sources.files import Item, RawRecord, read_paths, read_paths_async


def _key(item: Item) -> tuple[Any, ...]:
    """Items compared by value (exceptions compare by identity)."""
    if isinstance(item, RawRecord):
        return ("record", item.origin, item.line, item.index, item.payload)
    return ("error", type(item).__name__, item.origin, item.line, item.reason)


async def _collect(batches: AsyncIterator[list[Item]]) -> list[Item]:
    return [item async for batch in batches for item in batch]


async def _thread_count_returns_to(baseline: int) -> int:
    """The thread count once it is back to `baseline`, or after 2 s."""
    deadline = time.monotonic() + 2.0
    # Thread counts have no event to wait on; the poll is time-bounded.
    while threading.active_count() > baseline and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.02)
    return threading.active_count()


async def test_same_items_as_read_paths(corpus: Path) -> None:
    """The whole corpus folder yields the same items, in the same order, as `read_paths`."""
    expected = [_key(item) for item in read_paths([str(corpus)])]
    got = [_key(item) for item in await _collect(read_paths_async([str(corpus)], chunk=100))]
    assert len(got) > 6000
    assert got == expected


async def test_batches_are_at_most_chunk_items(corpus: Path) -> None:
    """Every batch holds between 1 and `chunk` items."""
    sizes = [len(batch) async for batch in read_paths_async([str(corpus / "cloudtrail")], chunk=7)]
    assert sizes
    assert all(1 <= size <= 7 for size in sizes)


async def test_stdin_works_through_it(tmp_path: Path) -> None:
    """`-` reads the given stdin stream in the worker thread, between files."""
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"eventID": "a"}\n')
    stdin = io.BytesIO(b'{"eventID": "s1"}\nnot json\n{"eventID": "s2"}\n')
    items = await _collect(read_paths_async([str(path), "-"], stdin=stdin))
    assert [type(item) for item in items] == [RawRecord, RawRecord, MalformedRecordError, RawRecord]
    assert [item.origin for item in items] == [str(path)] + ["<stdin>"] * 3


async def test_loop_is_not_blocked_by_a_huge_line(tmp_path: Path) -> None:
    """While a 200 MB single line is read and skipped, a ticking task never waits 0.5 s."""
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as handle:
        piece = b"A" * (1 << 20)
        for _ in range(200):
            handle.write(piece)
        handle.write(b'\n{"eventID": "after"}\n')
    gaps: list[float] = []
    done = asyncio.Event()

    async def tick() -> None:
        last = time.monotonic()
        while not done.is_set():
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    try:
        items = await _collect(read_paths_async([str(path)]))
    finally:
        done.set()
        await ticker
    assert [type(item) for item in items] == [MalformedRecordError, RawRecord]
    assert len(gaps) > 5
    assert max(gaps) < 0.5, f"longest gap {max(gaps):.3f} s"


def _many_lines(tmp_path: Path) -> Path:
    """A JSON-lines file far bigger than the hand-off holds (so the worker has to wait)."""
    path = tmp_path / "many.jsonl"
    path.write_bytes(b"".join(codec.dumps({"eventID": f"e{n}"}) + b"\n" for n in range(50_000)))
    return path


async def test_aclose_stops_the_worker_thread(tmp_path: Path) -> None:
    """Closing the iterator after the first batch ends the worker thread within 2 s."""
    path = _many_lines(tmp_path)
    baseline = threading.active_count()
    batches = read_paths_async([str(path)], chunk=10)
    first = await anext(batches)
    assert first
    assert threading.active_count() == baseline + 1
    await batches.aclose()
    assert await _thread_count_returns_to(baseline) == baseline


async def test_cancelling_the_consumer_stops_the_worker_thread(tmp_path: Path) -> None:
    """Cancelling a task that is consuming the iterator ends the worker thread within 2 s."""
    path = _many_lines(tmp_path)
    baseline = threading.active_count()
    started = asyncio.Event()

    async def consume() -> None:
        async for _ in read_paths_async([str(path)], chunk=10):
            started.set()
            await asyncio.sleep(10)

    task = asyncio.create_task(consume())
    await asyncio.wait_for(started.wait(), timeout=10)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert await _thread_count_returns_to(baseline) == baseline


async def test_live_pipe_line_is_handed_over_at_once() -> None:
    """A line written to a stdin pipe that stays open reaches the consumer without waiting."""
    read_fd, write_fd = os.pipe()
    with os.fdopen(read_fd, "rb") as reader, os.fdopen(write_fd, "wb", buffering=0) as writer:
        writer.write(b'{"eventID": "live"}\n')
        batches = read_paths_async(["-"], stdin=reader)
        first = await asyncio.wait_for(anext(batches), timeout=10)
        assert [item.origin for item in first] == ["<stdin>"]
        writer.write(b'{"eventID": "later"}\n')
        writer.close()
        rest = await asyncio.wait_for(_collect(batches), timeout=10)
    assert len(rest) == 1
    assert isinstance(rest[0], RawRecord)
    assert rest[0].payload == {"eventID": "later"}
