"""`eventstream tail` as people run it: in a pseudo-terminal (coloured lines), piped (plain
lines, JSON lines), with NO_COLOR, resuming from a file, stopped by SIGTERM."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from eventstream import codec
from eventstream.config.serve import TokenSettings, token_hash
from tests.serve.conftest import Journal, ServerFactory
from tests.serve.servers import ROOT

ESC = "\x1b["


def _tail(args: list[str], *, tty: bool, env: dict[str, str] | None = None) -> Any:
    command = [sys.executable, "-m", "eventstream", "tail", *args]
    environment = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    environment.update(env or {})
    if not tty:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment, cwd=ROOT
        )
        assert process.stdout is not None
        return process, process.stdout.fileno()
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        command, stdout=secondary, stderr=subprocess.PIPE, env=environment, cwd=ROOT
    )
    os.close(secondary)
    return process, primary


def _lines(fd: int, count: int, timeout_s: float = 30.0) -> list[str]:
    """The first `count` lines written to `fd` (a pipe or a pty's primary side)."""
    buffer = b""
    deadline = time.monotonic() + timeout_s
    while buffer.count(b"\n") < count:
        left = deadline - time.monotonic()
        assert left > 0, f"only these lines: {buffer[-500:]!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 65536)
            assert chunk, f"output ended after: {buffer[-500:]!r}"
            buffer += chunk
    text = buffer.decode().replace("\r\n", "\n")
    return text.split("\n")[:count]


def _stop(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM, then the exit status; the pipes are closed."""
    process.send_signal(signal.SIGTERM)
    try:
        _, errors = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        _, errors = process.communicate(timeout=15)
        raise AssertionError(f"tail did not stop on SIGTERM: {errors.decode()[-3000:]}") from None
    return process.returncode


def _sg_event(sample_events: list[dict[str, Any]]) -> dict[str, Any]:
    return next(
        event
        for event in sample_events
        if event["data"]["change"]["operation"] == "AuthorizeSecurityGroupIngress"
    )


def test_tail_in_a_terminal_shows_coloured_lines(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """In a pty: one coloured line per change with time, action, type, name, method,
    principal, IP and the rule the call opened; SIGTERM ends it with status 0."""
    server = serve()
    sg = _sg_event(sample_events)
    journal.append([*sample_events[:4], sg])
    process, fd = _tail([server.url, "--from", "earliest"], tty=True)
    try:
        lines = _lines(fd, 5)
    finally:
        code = _stop(process)
        os.close(fd)
    assert code == 0
    assert all(ESC in line for line in lines)
    first = sample_events[0]
    assert first["time"] in lines[0]
    assert first["subject"] in lines[0]
    assert first["data"]["asset"]["type"] in lines[0]
    assert first["data"]["attribution"]["method"] in lines[0]
    assert "+ingress 0.0.0.0/0:" in lines[4]
    assert sg["data"]["attribution"]["ip"] in lines[4]


def test_tail_piped_is_plain_and_no_color_turns_colours_off(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """Piped, and in a pty with NO_COLOR, the lines carry no escape sequence."""
    server = serve()
    journal.append(sample_events[:3])
    for tty, env in ((False, None), (True, {"NO_COLOR": "1"})):
        process, fd = _tail([server.url, "--from", "earliest"], tty=tty, env=env)
        try:
            lines = _lines(fd, 3)
        finally:
            _stop(process)
            if tty:
                os.close(fd)
        assert all(ESC not in line for line in lines)
        assert [line.split(" ")[0] for line in lines] == [e["time"] for e in sample_events[:3]]


def test_tail_json_filters_and_resume_file(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]], tmp_path: Path
) -> None:
    """`--json` prints the events as sent, with the server's filters; `--resume FILE` starts
    the next run right after the last event shown."""
    server = serve()

    def append(events: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
        ids = journal.append(events)
        pairs = zip(ids, events, strict=True)
        return [pair for pair in pairs if pair[1]["data"]["change"]["action"] != "update"]

    before = append(sample_events[:40])
    assert len(before) >= 2
    resume = tmp_path / "last-id"
    args = [server.url, "--json", "--type", "create,delete", "--from", "earliest"]
    process, fd = _tail([*args, "--resume", str(resume)], tty=False)
    try:
        first = [codec.loads(line) for line in _lines(fd, len(before))]
        time.sleep(0.3)  # the last line's handler has returned: its id is saved
    finally:
        _stop(process)
    assert [(item["id"], item["event"]["id"]) for item in first] == [
        (entry, event["id"]) for entry, event in before
    ]
    assert resume.read_text().strip() == before[-1][0]
    after = append(sample_events[40:80])
    assert after
    process, fd = _tail([*args, "--resume", str(resume)], tty=False)
    try:
        rest = [codec.loads(line) for line in _lines(fd, len(after))]
    finally:
        _stop(process)
    assert [item["id"] for item in rest] == [entry for entry, _ in after]


def test_tail_bad_filter_is_an_error_with_status_2(serve: ServerFactory) -> None:
    """A filter the server would refuse is refused before connecting, naming the parameter."""
    server = serve()
    result = subprocess.run(
        [sys.executable, "-m", "eventstream", "tail", server.url, "--method", "telepathy"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert "parameter=method" in result.stderr


def test_tail_takes_its_server_and_token_from_the_client_settings(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]]
) -> None:
    """`[client]` settings from the environment: the token opens a secured server, which
    refuses tail without it (status 2, naming the 401); `config check` masks the token."""
    token = "tail-token-0123456789"
    server = serve(tokens=[TokenSettings(name="tail", sha256=token_hash(token), accounts=["*"])])
    journal.append(sample_events[:2])
    env = {"EVENTSTREAM_CLIENT__URL": server.url, "EVENTSTREAM_CLIENT__TOKEN": token}
    process, fd = _tail(["--from", "earliest"], tty=False, env=env)
    try:
        lines = _lines(fd, 2)
    finally:
        _stop(process)
    assert [line.split(" ")[0] for line in lines] == [e["time"] for e in sample_events[:2]]
    refused = subprocess.run(
        [sys.executable, "-m", "eventstream", "tail", server.url],
        capture_output=True, text=True, timeout=60, check=False, cwd=ROOT,
    )  # fmt: skip
    assert refused.returncode == 2
    assert "status=401" in refused.stderr
    shown = subprocess.run(
        [sys.executable, "-m", "eventstream", "config", "check"],
        capture_output=True, text=True, timeout=60, check=True, cwd=ROOT,
        env={**os.environ, **env},
    )  # fmt: skip
    assert codec.loads(shown.stdout)["client"]["token"] == "***"
    assert token not in shown.stdout
