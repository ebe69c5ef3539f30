"""Secrets never shown: a bad URL's password, and after a full delivery with failures no
signing secret, HEC token, header value or URL password in the logs, the state `status`
shows, `/metrics` or `config check`; a destination without a secret is warned about."""

from __future__ import annotations

import asyncio
import base64
import logging
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from redis.asyncio import Redis

from eventstream import codec
from eventstream.cli import main
from eventstream.commands.webhooks import status_rows
from eventstream.config.webhooks import WebhookSettings
from eventstream.forward.deadletters import DeadLetters
from eventstream.forward.metrics import ForwardMetrics
from eventstream.forward.service import Forwarding
from eventstream.journal.keys import Keys
from eventstream.serve.logs import JsonFormatter
from tests.forward.conftest import (
    OLD_SECRET,
    SECRET,
    STARTED,
    Received,
    Receiver,
    Running,
    commit,
    destination,
    until,
)
from tests.forward.receivers import HEC_PATH, SplunkHec
from tests.forward.test_delivery import closed_port, until_async

HEC_TOKEN = "hec-0d5f1c7e-token-9a8b"
HEADER_SECRET = "apikey-7f3e9c1d2b"
URL_PASSWORD = "url-pw-4e8a2c"
BASIC = base64.b64encode(f"siem-user:{URL_PASSWORD}".encode()).decode()
SECRETS = (
    SECRET,
    SECRET.removeprefix("whsec_"),
    OLD_SECRET,
    OLD_SECRET.removeprefix("whsec_"),
    HEC_TOKEN,
    HEADER_SECRET,
    URL_PASSWORD,
    BASIC,
)


def _leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


@pytest.mark.parametrize(
    "url",
    [
        f"ftp://siem-user:{URL_PASSWORD}@siem.example/hook",
        f"https://siem-user:{URL_PASSWORD}@siem.example:notaport/hook",
        f"https://siem-user:{URL_PASSWORD}/x@siem.example:99999/hook",
    ],
)
def test_a_bad_url_error_masks_its_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    path = tmp_path / "eventstream.toml"
    path.write_text(f'[[webhooks]]\nname = "siem"\nurl = "{url}"\nsecrets = ["{SECRET}"]\n')
    code = main(["config", "check", str(path)])
    out, err = capsys.readouterr()
    assert code == 2
    assert "webhooks.0.url" in err
    assert "siem-user:***@" in err
    assert _leaks(out + err) == []


def test_url_credentials_and_an_authorization_header_are_refused() -> None:
    """aiohttp cannot send both (it raised for every request): refused at start-up."""
    with pytest.raises(ValueError, match="cannot be combined with an Authorization header"):
        destination(
            f"http://siem-user:{URL_PASSWORD}@127.0.0.1:1{HEC_PATH}",
            format="splunk-hec",
            token=HEC_TOKEN,
        )


def echo_then_ok(request: Received, number: int) -> web.Response:
    """A proxy that first answers 500 echoing the request's credentials, then 200."""
    if number == 0:
        echoed = {name: request.headers.get(name, "") for name in ("Authorization", "X-Api-Key")}
        return web.Response(status=500, text=f"upstream refused {codec.dumps(echoed).decode()}")
    return web.Response(status=200)


def _destinations(hec_port: int, echo_port: int) -> list[WebhookSettings]:
    """A HEC destination (token, two secrets, a secret header), one with a URL password and
    its secrets in the environment, one with a URL password that is down."""
    return [
        destination(
            f"http://127.0.0.1:{hec_port}{HEC_PATH}",
            name="hec",
            format="splunk-hec",
            token=HEC_TOKEN,
            secrets=[SECRET, OLD_SECRET],
            headers={"X-Api-Key": HEADER_SECRET},
        ),
        destination(
            f"http://siem-user:{URL_PASSWORD}@127.0.0.1:{echo_port}/hook",
            name="basic",
            secrets=[],
            secret_env="HOOK_SECRETS",
            headers={"X-Api-Key": HEADER_SECRET},
        ),
        destination(
            f"http://siem-user:{URL_PASSWORD}@127.0.0.1:{closed_port()}/hook",
            name="down",
            retry_schedule_s=[0, 0.05],
        ),
    ]


async def test_no_secret_in_logs_status_or_metrics(
    aredis: Redis,
    keys: Keys,
    sample_events: list[dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A full delivery with failures (HEC busy, a 500 echoing the credentials, a destination
    down until its entries are dead-lettered): every log record, the state and dead letters
    `status` shows and /metrics hold none of the secrets."""
    hec = SplunkHec(token=HEC_TOKEN, busy_first=1)
    hec_receiver = await Receiver(hec).start()
    echo = await Receiver(echo_then_ok).start()
    try:
        destinations = _destinations(hec_receiver.port, echo.port)
        registry = CollectorRegistry()
        forwarding = Forwarding(
            destinations,
            redis=aredis,
            keys=keys,
            metrics=ForwardMetrics(registry),
            environ={"HOOK_SECRETS": f"{SECRET} {OLD_SECRET}"},
        )
        await forwarding.prepare()
        with caplog.at_level(logging.DEBUG):
            running = Running(forwarding, asyncio.create_task(forwarding.run()))
            STARTED.add(running)
            expected = await commit(aredis, keys, sample_events[:40])
            await until(lambda: len(hec.indexed) >= len(expected))
            await until(lambda: len(echo.requests) >= 2)
            await until_async(DeadLetters(aredis, keys, "down").count, len(expected))
            await running.stop()
    finally:
        await hec_receiver.stop()
        await echo.stop()
    assert echo.requests[0].headers["Authorization"] == f"Basic {BASIC}"  # it was sent
    assert echo.requests[0].headers["X-Api-Key"] == HEADER_SECRET

    formatter = JsonFormatter()
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    assert "webhook delivery failed" in logged  # the failures were logged ...
    assert "webhook events dead-lettered" in logged
    assert "upstream refused" in logged  # ... with the echoing answer, scrubbed
    assert _leaks(logged) == []

    status = codec.dumps(await status_rows(aredis, keys, destinations)).decode()
    letters = await DeadLetters(aredis, keys, "down").page()
    assert "upstream refused" in status
    assert "***" in status
    assert _leaks(status + "".join(letter.error for letter in letters)) == []

    metrics = generate_latest(registry).decode()
    assert 'eventstream_webhook_events_delivered_total{destination="hec"} 40.0' in metrics
    assert _leaks(metrics) == []


def _toml(table: WebhookSettings) -> str:
    lines = ["[[webhooks]]"]
    for name, value in table.model_dump(exclude_defaults=True).items():
        if isinstance(value, dict):
            lines += [f"{name}.{key} = {codec.dumps(item).decode()}" for key, item in value.items()]
        else:
            lines.append(f"{name} = {codec.dumps(value).decode()}")
    return "\n".join(lines) + "\n"


def test_config_check_shows_no_secret(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same destinations in a file: `config check` masks secrets, token, header values
    and URL passwords."""
    destinations = _destinations(1, 2)
    destinations[1] = destinations[1].model_copy(update={"secret_env": "", "secrets": [SECRET]})
    config = tmp_path / "eventstream.toml"
    config.write_text("".join(_toml(table) for table in destinations))
    assert URL_PASSWORD in config.read_text()
    assert main(["config", "check", str(config)]) == 0
    out, err = capsys.readouterr()
    assert "siem-user:***@127.0.0.1" in out
    assert '"hec"' in out
    assert _leaks(out + err) == []


async def test_a_destination_without_a_secret_is_warned_about_once(
    aredis: Redis, keys: Keys, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    """Unsigned requests stay allowed; a warning at start-up names the destination."""
    forwarding = Forwarding(
        [
            destination(receiver.url, name="unsigned", secrets=[]),
            destination(receiver.url, name="signed"),
        ],
        redis=aredis,
        keys=keys,
        environ={},
    )
    await forwarding.prepare()
    with caplog.at_level(logging.WARNING, logger="eventstream.forward"):
        running = Running(forwarding, asyncio.create_task(forwarding.run()))
        STARTED.add(running)
        await asyncio.sleep(0.3)
        await running.stop()
    warned = [r for r in caplog.records if "no signing secret" in r.getMessage()]
    assert [getattr(record, "destination", None) for record in warned] == ["unsigned"]
