"""`eventstream webhooks run` as a real process: killed with SIGKILL mid-batch and restarted,
nothing is lost; SIGTERM stops it cleanly; `status`, `test` and `replay` on the command line."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from redis.asyncio import Redis

from eventstream.forward.deadletters import DeadLetters
from eventstream.journal.keys import Keys
from tests.conftest import ROOT
from tests.forward.conftest import (
    SECRET,
    Received,
    Receiver,
    commit,
    delivered_ids,
    lines,
    until,
)
from tests.serve.servers import RedisServer, free_port


def _config(tmp_path: Path, redis: RedisServer, keys: Keys, url: str, **extra: str) -> Path:
    extra.setdefault("start", '"all"')
    more = "".join(f"{name} = {value}\n" for name, value in extra.items())
    path = tmp_path / "eventstream.toml"
    path.write_text(
        f'[redis]\nurl = "{redis.url}"\nkey_prefix = "{keys.prefix}"\n\n'
        f'[[webhooks]]\nname = "siem"\nurl = "{url}"\nformat = "jsonl"\n'
        f'allow_private = true\nsecrets = ["{SECRET}"]\nbatch_max_events = 50\n'
        f"batch_max_wait_s = 0.02\nretry_schedule_s = [0, 0.2, 0.2, 0.2]\nretry_jitter = 0\n"
        f"{more}"
    )
    return path


async def _eventstream(*args: str) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "eventstream",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )


async def _metrics(port: int, wanted: str, timeout_s: float = 15) -> str:
    """The process's /metrics once it shows the line `wanted`."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
                    text = await response.text()
                    if wanted in text:
                        return text
            except aiohttp.ClientError:
                text = ""
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{wanted!r} not in /metrics:\n{text}")
            await asyncio.sleep(0.1)


async def test_sigkill_mid_batch_then_restart_loses_nothing(
    tmp_path: Path,
    redis_srv: RedisServer,
    aredis: Redis,
    keys: Keys,
    sample_events: list[dict[str, Any]],
) -> None:
    """The forwarder is killed while its first batch is in flight; the restarted one reclaims
    the pending entries and delivers them: every event arrives, only that batch twice."""
    release = asyncio.Event()

    async def policy(request: Received, number: int) -> web.StreamResponse:
        if number == 0:
            await release.wait()  # held until the sender is dead
        return web.Response(status=200)

    receiver = await Receiver(policy).start()
    expected = await commit(aredis, keys, sample_events[:200])
    config = _config(tmp_path, redis_srv, keys, receiver.url, claim_idle_s="3", timeout_s="2")
    try:
        first = await _eventstream("webhooks", "run", "--config", str(config))
        await until(lambda: len(receiver.requests) >= 1, timeout_s=30)
        first.send_signal(signal.SIGKILL)
        await first.wait()
        release.set()
        pending: Any = await aredis.xpending(keys.journal, keys.webhook_group("siem"))
        # the batch in flight, never acknowledged, and the next one, read ahead meanwhile
        assert pending["pending"] in (50, 100)
        port = free_port()
        second = await _eventstream(
            "webhooks", "run", "--config", str(config), "--metrics-port", str(port)
        )
        await until(lambda: set(delivered_ids(receiver, lambda n: n > 0)) == set(expected), 30)
        metrics = await _metrics(
            port, 'eventstream_webhook_events_delivered_total{destination="siem"} 200.0'
        )
        assert 'eventstream_webhook_disabled{destination="siem"} 0.0' in metrics
        second.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(second.communicate(), 15)
        assert second.returncode == 0, stderr.decode()
    finally:
        release.set()
        await receiver.stop()
    after_restart = delivered_ids(receiver, lambda n: n > 0)
    assert len(after_restart) == len(expected)  # the killed batch was never taken
    assert sorted(after_restart) == sorted(expected)
    assert sorted(delivered_ids(receiver, lambda n: n == 0)) == sorted(expected[:50])
    pending = await aredis.xpending(keys.journal, keys.webhook_group("siem"))
    assert pending["pending"] == 0


async def test_status_test_and_replay_commands(
    tmp_path: Path,
    redis_srv: RedisServer,
    aredis: Redis,
    keys: Keys,
    sample_events: list[dict[str, Any]],
) -> None:
    """`test` sends one signed sample event and shows the answer; `status` shows the dead
    letters and the last error; `replay` delivers them once the receiver is back."""
    healthy = False

    def policy(request: Received, number: int) -> web.Response:
        return web.Response(status=200 if healthy else 500, text="receiver says hi")

    receiver = await Receiver(policy).start()
    config = _config(tmp_path, redis_srv, keys, receiver.url)
    try:
        tested = await _eventstream("webhooks", "test", "siem", "--config", str(config))
        out, _ = await asyncio.wait_for(tested.communicate(), 30)
        assert tested.returncode == 1  # HTTP 500
        assert "HTTP 500" in out.decode()
        assert "receiver says hi" in out.decode()
        sample = lines(receiver.requests[0].body)[0]
        assert sample["id"].startswith("test-")

        expected = await commit(aredis, keys, sample_events[:30])
        run = await _eventstream("webhooks", "run", "--config", str(config))
        dead = DeadLetters(aredis, keys, "siem")
        for _ in range(1500):
            if await dead.count() == len(expected):
                break
            await asyncio.sleep(0.02)
        run.send_signal(signal.SIGTERM)
        await asyncio.wait_for(run.communicate(), 15)
        assert await dead.count() == len(expected)

        status = await _eventstream("webhooks", "status", "--config", str(config))
        out, err = await asyncio.wait_for(status.communicate(), 30)
        text = out.decode()
        assert status.returncode == 0, err.decode()
        assert f"dead letters {len(expected)}" in text
        assert "HTTP 500: receiver says hi" in text
        assert "lag 0, in flight 0" in text

        healthy = True
        receiver.requests.clear()
        replayed = await _eventstream("webhooks", "replay", "siem", "--config", str(config))
        out, err = await asyncio.wait_for(replayed.communicate(), 30)
        assert replayed.returncode == 0, out.decode() + err.decode()
        assert f"delivered {len(expected)}" in out.decode()
        assert delivered_ids(receiver) == expected
        assert await dead.count() == 0
    finally:
        await receiver.stop()
