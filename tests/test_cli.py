"""`eventstream normalize` as a user runs it: a real subprocess over real files."""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
from pathlib import Path

from eventstream import codec
from tests.conftest import ROOT


def normalize(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "eventstream", "normalize", *args],
        input=stdin,
        capture_output=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )


def summary(stderr: bytes) -> dict[str, int]:
    line = next(s for s in stderr.decode().splitlines() if s.startswith("summary: "))
    pairs = re.findall(r"([a-z -]+?) (\d+)", line.removeprefix("summary: "))
    return {name.strip(): int(n) for name, n in pairs}


def test_whole_corpus_runs_without_exception(corpus: Path) -> None:
    """Every CloudTrail file, S3 export and EventBridge envelope normalizes; counts add up."""
    trails = [
        p for p in sorted((corpus / "cloudtrail").glob("*.jsonl")) if ".origin." not in p.name
    ]
    paths = [
        *trails,
        corpus / "s3-export",
        corpus / "eventbridge" / "envelopes.jsonl",
    ]
    done = normalize(*map(str, paths))
    assert done.returncode == 0, done.stderr.decode()
    assert b"Traceback" not in done.stderr
    counts = summary(done.stderr)
    lines = done.stdout.splitlines()
    assert counts["changes emitted"] == len(lines) > 700
    skipped = sum(v for k, v in counts.items() if k not in ("records read", "changes emitted"))
    assert counts["records read"] == skipped
    assert counts["records read"] == 2900 * 2 + 310 + 14 + 43
    assert all(codec.loads(line)["specversion"] == "1.0" for line in lines)


def test_s3_export_and_jsonl_give_the_same_events(corpus: Path) -> None:
    """The 55 gzipped S3 export files carry the same trail as the JSON lines file."""
    exported = normalize(str(corpus / "s3-export"))
    lines = normalize(str(corpus / "cloudtrail" / "invictus.jsonl"))
    ids = {codec.loads(line)["id"] for line in exported.stdout.splitlines()}
    assert ids == {codec.loads(line)["id"] for line in lines.stdout.splitlines()}
    assert len(ids) > 350


def test_malformed_lines_are_reported_and_skipped(tmp_path: Path, corpus: Path) -> None:
    """A bad line is reported with file, line and reason; the rest is still processed."""
    good = (corpus / "cloudtrail" / "custodian.jsonl").read_bytes().splitlines()
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join([good[0], b"{not json", good[1], b"[1, 2]", good[2]]) + b"\n")
    done = normalize(str(path))
    err = done.stderr.decode()
    assert done.returncode == 0
    assert f"{path}:2: not JSON" in err
    assert f"{path}:4: expected a JSON object" in err
    counts = summary(done.stderr)
    assert counts["malformed"] == 2
    assert counts["records read"] == 5
    assert normalize("--strict", str(path)).returncode == 1


def test_stdin_and_gzip_mix(tmp_path: Path, corpus: Path) -> None:
    """`-` reads stdin, a gzipped S3 export document is read whole, in one run."""
    record = next(
        line
        for line in (corpus / "cloudtrail" / "custodian.jsonl").read_bytes().splitlines()
        if b'"CreateVolume"' in line
    )
    export = tmp_path / "export.json.gz"
    export.write_bytes(gzip.compress(b'{"Records": [' + record + b"]}"))
    done = normalize("-", str(export), stdin=record + b"\n")
    assert done.returncode == 0, done.stderr.decode()
    ids = [codec.loads(line)["id"] for line in done.stdout.splitlines()]
    assert len(ids) == 2
    assert ids[0] == ids[1]


def test_rejects_file_keeps_malformed_and_unmapped(tmp_path: Path) -> None:
    """`--rejects` writes every malformed and unmapped record with its reason."""
    path = tmp_path / "in.jsonl"
    unknown = {
        "eventID": "u-1",
        "eventTime": "2023-07-10T11:00:00Z",
        "readOnly": False,
        "eventSource": "made.amazonaws.com",
        "eventName": "FrobnicateWidget",
    }
    path.write_bytes(b"oops\n" + codec.dumps(unknown) + b"\n")
    rejects = tmp_path / "rejects.jsonl"
    done = normalize("--rejects", str(rejects), str(path))
    assert done.returncode == 0
    kept = [codec.loads(line) for line in rejects.read_bytes().splitlines()]
    assert sorted(k["outcome"] for k in kept) == ["malformed", "unmapped"]
    assert next(k for k in kept if k["outcome"] == "unmapped")["record"] == unknown
    assert "FrobnicateWidget" in done.stderr.decode()


def test_missing_path_is_malformed_input(tmp_path: Path, corpus: Path) -> None:
    """A path that cannot be read is reported (with the path) and counted as malformed, and the
    paths after it are still read; the status is 2 (unreadable input) at the end."""
    good = tmp_path / "good.jsonl"
    with (corpus / "cloudtrail" / "invictus.jsonl").open("rb") as trail:
        good.write_bytes(trail.readline())
    done = normalize(str(tmp_path / "nope.jsonl"), str(good))
    assert done.returncode == 2
    stderr = done.stderr.decode()
    assert "cannot read" in stderr
    assert "nope.jsonl" in stderr
    assert "records read 2" in stderr  # the unreadable path and the good record
    assert "malformed 1" in stderr
    assert "unreadable inputs 1" in stderr
