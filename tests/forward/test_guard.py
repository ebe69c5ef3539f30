"""The private address guard: loopback, private, link-local and metadata addresses refused
unless `allow_private`, on the URL's literal at start-up and on every resolution of a name."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from pydantic import ValidationError
from redis.asyncio import Redis

from eventstream.config.webhooks import WebhookSettings
from eventstream.forward.deadletters import DeadLetters
from eventstream.forward.guard import GuardResolver, PrivateAddressError
from eventstream.forward.state import DestinationState
from eventstream.journal.keys import Keys
from tests.forward.conftest import Receiver, commit, destination, start, until, until_count

REFUSED = ["127.0.0.1", "10.0.0.1", "169.254.169.254", "192.168.1.1", "100.64.0.1", "0.0.0.0"]


@pytest.mark.parametrize("host", [*REFUSED, "[::1]", "[fd00:ec2::254]", "[::ffff:127.0.0.1]"])
def test_private_literal_is_refused_at_start_up(host: str) -> None:
    """A URL naming a non-public address is a configuration error without allow_private."""
    with pytest.raises(ValidationError, match="not a public address"):
        WebhookSettings(name="x", url=f"https://{host}/hook")
    WebhookSettings(name="x", url=f"https://{host}/hook", allow_private=True)


def test_public_literal_is_allowed() -> None:
    WebhookSettings(name="x", url="https://93.184.216.34/hook")


class FixedResolver(AbstractResolver):
    """A DNS answer fixed by the test (the names are not in any real zone)."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.calls = 0

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.calls += 1
        return [
            ResolveResult(hostname=host, host=address, port=port, family=family, proto=0, flags=0)
            for address in self.answers[host]
        ]

    async def close(self) -> None:
        return None


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.1", "169.254.169.254", "::1"])
async def test_name_resolving_to_private_address_is_refused(address: str) -> None:
    """A name whose answer holds only non-public addresses fails the connection."""
    guard = GuardResolver(False, FixedResolver({"hooks.example": [address]}))
    with pytest.raises(PrivateAddressError, match=f"resolves to {address}"):
        await guard.resolve("hooks.example", 443)
    allowed = GuardResolver(True, FixedResolver({"hooks.example": [address]}))
    assert [r["host"] for r in await allowed.resolve("hooks.example", 443)] == [address]


async def test_mixed_answer_keeps_only_public_addresses() -> None:
    guard = GuardResolver(False, FixedResolver({"h.example": ["10.0.0.1", "93.184.216.34"]}))
    assert [r["host"] for r in await guard.resolve("h.example", 443)] == ["93.184.216.34"]


async def test_rebinding_is_checked_on_every_resolution() -> None:
    """The answer is judged each time: public first, loopback later is refused then."""
    inner = FixedResolver({"h.example": ["93.184.216.34"]})
    guard = GuardResolver(False, inner)
    await guard.resolve("h.example", 443)
    inner.answers["h.example"] = ["127.0.0.1"]
    with pytest.raises(PrivateAddressError):
        await guard.resolve("h.example", 443)


async def test_localhost_destination_is_refused_end_to_end(
    aredis: Redis, keys: Keys, receiver: Receiver, sample_events: list[dict[str, Any]]
) -> None:
    """`localhost` resolves (for real) to loopback: without allow_private the receiver gets
    nothing and the entries end as dead letters naming the refusal; with it, they arrive."""
    url = f"http://localhost:{receiver.port}/hook"
    refused = destination(url, name="refused", allow_private=False, retry_schedule_s=[0, 0.05])
    allowed = destination(url, name="allowed", allow_private=True)
    running = await start(aredis, keys, refused, allowed)
    expected = await commit(aredis, keys, sample_events[:10])
    dead = DeadLetters(aredis, keys, "refused")
    await until(lambda: len(receiver.requests) >= 1)
    await until_count(dead.count, len(expected))
    await running.stop()
    assert len(receiver.requests) == 1  # only the allowed destination's batch
    letters = await dead.page()
    assert len(letters) == len(expected)
    assert "refused: localhost resolves to" in letters[0].error
    assert (
        "not a public address"
        in (await DestinationState(aredis, keys, "refused").read())["last_error"]
    )
