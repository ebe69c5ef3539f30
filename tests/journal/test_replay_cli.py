"""`eventstream replay` as a user runs it: a subprocess against a real redis-server with an
append-only file, including Redis dying mid-replay, and the embedded default."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

from eventstream import codec
from eventstream.journal.keys import Keys
from eventstream.normalize.normalizer import Normalizer
from eventstream.normalize.resources.catalog import default_registry
from tests.conftest import ROOT, corpus_dir, read_jsonl
from tests.journal.aof import AofRedis

SAMPLE = ROOT / "eventstream" / "data" / "sample.jsonl"
_REPLAY_TIMEOUT_S = 300.0
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def _environment() -> dict[str, str]:
    """The test's environment without any Redis or EventStream setting."""
    return {
        name: value
        for name, value in os.environ.items()
        if name != "REDIS_URL" and not name.startswith("EVENTSTREAM_")
    }


def replay_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "eventstream", "replay", *args]


def run_replay(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        replay_command(*args),
        capture_output=True,
        text=True,
        timeout=_REPLAY_TIMEOUT_S,
        check=False,
        cwd=cwd,
        env=_environment(),
    )


def committed(stderr: str) -> tuple[int, int]:
    """(journaled, duplicates skipped) from the summary."""
    found = re.search(r"committed: journaled (\d+), duplicates skipped (\d+)", stderr)
    assert found is not None, stderr
    return int(found.group(1)), int(found.group(2))


def journal_eids(client: redis.Redis, keys: Keys) -> list[str]:
    rows: list[tuple[bytes, dict[bytes, bytes]]] = client.xrange(keys.journal)  # type: ignore[assignment]
    for _, fields in rows:
        assert codec.loads(fields[b"event"])["id"] == fields[b"eid"].decode()
    return [fields[b"eid"].decode() for _, fields in rows]


def expected_ids(path: Path) -> list[str]:
    """The event ids the normalizer produces for the records of `path`, in file order."""
    normalizer = Normalizer(default_registry())
    ids: list[str] = []
    for record in read_jsonl(path):
        ids.extend(event["id"] for event in normalizer.normalize(record).events)
    return ids


def _prefix() -> str:
    return f"r{uuid.uuid4().hex[:12]}"


def test_replay_of_the_corpus_then_again(aof_redis: AofRedis, tmp_path: Path) -> None:
    """Every event is journaled once with its own eid; a second run journals nothing."""
    trail = corpus_dir() / "cloudtrail" / "invictus.jsonl"
    keys = Keys(_prefix())
    args = ("--redis-url", aof_redis.url, "--prefix", keys.prefix, str(trail))
    first = run_replay(tmp_path, *args)
    assert first.returncode == 0, first.stderr
    journaled, duplicates = committed(first.stderr)
    wanted = expected_ids(trail)
    assert journaled > 0
    assert journaled + duplicates == len(wanted)
    assert journaled == len(set(wanted))
    client = aof_redis.client()
    assert client.xlen(keys.journal) == journaled
    eids = journal_eids(client, keys)
    assert len(set(eids)) == len(eids) == journaled
    assert set(eids) == set(wanted)
    assert f"journal key {keys.journal}" in first.stderr.splitlines()[-1]

    second = run_replay(tmp_path, *args)
    assert second.returncode == 0, second.stderr
    assert committed(second.stderr) == (0, len(wanted))
    assert journal_eids(client, keys) == eids
    assert not (tmp_path / ".eventstream").exists()  # a configured Redis: nothing embedded


def _shifted(record: dict[str, Any], copy: int) -> dict[str, Any]:
    moment = datetime.strptime(record["eventTime"], _TIME_FORMAT) + timedelta(days=copy)
    return {
        **record,
        "eventID": f"{record['eventID']}-copy{copy}",
        "eventTime": moment.strftime(_TIME_FORMAT),
    }


@pytest.fixture
def long_trail(tmp_path: Path) -> Path:
    """Copies of the Invictus records that make changes, each copy with its own eventIDs and a
    day later than the one before: a replay of a few thousand distinct events."""
    normalizer = Normalizer(default_registry())
    changing = [
        record
        for record in read_jsonl(corpus_dir() / "cloudtrail" / "invictus.jsonl")
        if normalizer.normalize(record).events
    ]
    assert len(changing) > 300
    path = tmp_path / "long.jsonl"
    with path.open("wb") as out:
        for copy in range(5):
            for record in changing:
                out.write(codec.dumps(_shifted(record, copy)) + b"\n")
    return path


def _wait_for_entries(client: redis.Redis, key: str, count: int, replay: Any) -> int:
    """Poll XLEN until `count` entries (bounded); returns the length seen."""
    deadline = time.monotonic() + 120
    length = 0
    while time.monotonic() < deadline and replay.poll() is None:
        length = int(client.xlen(key))
        if length >= count:
            return length
        time.sleep(0.005)
    raise AssertionError(f"replay ended or stalled with {length} entries: status {replay.poll()}")


def test_redis_killed_mid_replay_then_run_again(
    aof_redis: AofRedis, long_trail: Path, tmp_path: Path
) -> None:
    """Status 3 and a message to run again; after a restart, the same command completes the
    journal: exactly the normalizer's events, each once."""
    wanted = expected_ids(long_trail)
    assert len(wanted) == len(set(wanted))
    keys = Keys(_prefix())
    args = ("--redis-url", aof_redis.url, "--prefix", keys.prefix, "--batch-size", "2")
    log = tmp_path / "replay.log"
    with log.open("w") as stderr:
        replay = subprocess.Popen(
            replay_command(*args, str(long_trail)),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            cwd=tmp_path,
            env=_environment(),
        )
        try:
            before = _wait_for_entries(aof_redis.client(), keys.journal, 20, replay)
            aof_redis.kill()
            status = replay.wait(timeout=_REPLAY_TIMEOUT_S)
        finally:
            if replay.poll() is None:
                replay.kill()
                replay.wait(timeout=10)
    output = log.read_text()
    assert status == 3, output
    assert "Redis unavailable" in output
    assert "Run the same command again" in output
    journaled, _ = committed(output)
    assert 0 < journaled < len(wanted)

    aof_redis.start()  # same folder, same socket, the append-only file reloaded
    client = aof_redis.client()
    kept = journal_eids(client, keys)
    # Everything reported as committed, and everything seen in the journal, survived.
    assert len(kept) >= max(journaled, before)
    # The summary counts exactly what was acknowledged: beyond it, at most the one batch
    # (of 2) that was in flight when Redis died.
    assert len(kept) <= journaled + 2
    again = run_replay(tmp_path, *args, str(long_trail))
    assert again.returncode == 0, again.stderr
    journaled_again, duplicates = committed(again.stderr)
    assert journaled_again == len(wanted) - len(kept)
    assert duplicates == len(kept)
    eids = journal_eids(client, keys)
    assert len(eids) == len(set(eids)), "an event was journaled twice"
    assert set(eids) == set(wanted)
    assert eids[: len(kept)] == kept


def _redis_processes_on(folder: Path) -> list[int]:
    """Live processes whose command line mentions `folder` (redis-server's --dir)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if str(folder) in command and "redis" in command and state != "Z":
            found.append(int(entry.name))
    return found


def _answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def test_embedded_default(tmp_path: Path) -> None:
    """Without REDIS_URL the replay starts its own redis-server in .eventstream/redis under
    the working directory, and stops it when done; the journal stays on disk."""
    data_dir = (tmp_path / ".eventstream" / "redis").resolve()
    try:
        result = run_replay(tmp_path, str(SAMPLE))
        assert result.returncode == 0, result.stderr
        journaled, duplicates = committed(result.stderr)
        wanted = expected_ids(SAMPLE)
        assert (journaled, duplicates) == (len(set(wanted)), len(wanted) - len(set(wanted)))
        assert data_dir.is_dir()
        assert (data_dir / "appendonlydir").is_dir()
        last = result.stderr.strip().splitlines()[-1]
        found = re.fullmatch(r"redis: (\S+), journal key \{es\}:journal", last)
        assert found is not None, last
        url = found.group(1)
        assert url == f"unix://{data_dir / 'redis.sock'}" or url.startswith("redis://127.0.0.1:")
        assert not _answers(url)
        assert _redis_processes_on(data_dir) == []

        # The data outlived the server: a new embedded run on the same dir finds it.
        again = run_replay(tmp_path, str(SAMPLE))
        assert again.returncode == 0, again.stderr
        assert committed(again.stderr) == (0, len(wanted))
        assert _redis_processes_on(data_dir) == []
    finally:
        for pid in _redis_processes_on(data_dir):  # only a server this test started
            os.kill(pid, signal.SIGKILL)


def test_unreachable_redis_is_status_3(tmp_path: Path) -> None:
    missing = tmp_path / "none.sock"
    result = run_replay(tmp_path, "--redis-url", f"unix://{missing}", str(SAMPLE))
    assert result.returncode == 3, result.stderr
    assert "Redis unavailable" in result.stderr
    assert str(missing) in result.stderr


def test_bad_configuration_is_status_2(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[journal]\nbatch_size = 0\n")
    result = run_replay(tmp_path, "--config", str(config), str(SAMPLE))
    assert result.returncode == 2, result.stderr
    assert "journal.batch_size" in result.stderr
    assert not (tmp_path / ".eventstream").exists()


def test_bad_redis_url_option_is_status_2(tmp_path: Path) -> None:
    """`--redis-url` is held to the same rule as `REDIS_URL` and `[redis] url`: a URL of
    another scheme is a usage error (status 2, one message), not a traceback."""
    result = run_replay(tmp_path, "--redis-url", "http://127.0.0.1:1", str(SAMPLE))
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2, result.stderr
    assert "redis://" in result.stderr  # says which schemes are accepted
    assert not (tmp_path / ".eventstream").exists()


def test_bad_prefix_option_is_status_2(aof_redis: AofRedis, tmp_path: Path) -> None:
    """`--prefix` is held to the rule of `[redis] key_prefix` (no braces: the prefix is the
    Redis Cluster hash tag); a bad one writes nothing."""
    for prefix in ("a{b", "a}b", "a b"):
        result = run_replay(tmp_path, "--redis-url", aof_redis.url, "--prefix", prefix, str(SAMPLE))
        assert result.returncode == 2, (prefix, result.stderr)
        assert "Traceback" not in result.stderr
    assert aof_redis.client().dbsize() == 0
