"""S3 failures as S3 answers them (a small server speaking S3's REST XML errors on 127.0.0.1),
with SQS in moto, each service found through botocore's own endpoint settings
(`AWS_ENDPOINT_URL_SQS`, `AWS_ENDPOINT_URL_S3`): access denied, throttling and expired
credentials each get their own log line and metric label, and the message is quarantined
with its reason once it has been received `max_receive_count` times."""

from __future__ import annotations

import logging

import pytest
from aiohttp import web
from redis.asyncio import Redis

from eventstream.journal.keys import Keys
from eventstream.journal.quarantine import RedisQuarantine
from tests.aws import scene
from tests.aws.awsjson import served
from tests.aws.conftest import Moto
from tests.serve.servers import RedisServer

_TRAIL = "AWSLogs/218007301253/CloudTrail/us-east-1/2023/07/10/"
_ANSWERS = {
    "denied.json.gz": (403, "AccessDenied", "Access Denied"),
    "slow.json.gz": (503, "SlowDown", "Please reduce your request rate."),
    "expired.json.gz": (400, "ExpiredToken", "The provided token has expired."),
}


async def _answer(request: web.Request) -> web.Response:
    name = request.match_info["key"].rsplit("/", 1)[-1]
    status, code, message = _ANSWERS.get(name, (404, "NoSuchKey", "The key does not exist."))
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        "<RequestId>4442587FB7D0A2F9</RequestId><HostId>host</HostId></Error>"
    )
    return web.Response(status=status, text=body, content_type="application/xml")


async def test_each_s3_failure_is_labelled_and_quarantined(
    moto: Moto,
    redis_srv: RedisServer,
    aredis: Redis,
    keys: Keys,
    monkeypatch: pytest.MonkeyPatch,
    *,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="eventstream")
    queue = scene.new_queue(moto, "errors")
    bodies = [scene.s3_event("trail-bucket", _TRAIL + name, 10) for name in _ANSWERS]
    scene.send(moto, queue, bodies)
    async with served(_answer, "GET", "/{bucket}/{key:.+}") as s3_endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", moto.endpoint)
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_endpoint)
        settings = scene.sqs_settings(
            moto, queue, endpoint_url=None, max_receive_count=1, concurrency=1
        )
        pipeline, metrics, _source = scene.pipeline_for(settings, aredis, keys, redis_srv.url)
        await scene.run_until(
            pipeline,
            lambda: (
                scene.sample(metrics, "eventstream_source_messages_total", event="deleted") >= 3
            ),
        )
    errors = "eventstream_source_errors_total"
    for kind in ("access_denied", "throttled", "expired_credentials"):
        assert scene.sample(metrics, errors, kind=kind) == 1, kind
    assert scene.queue_depth(moto, queue) == 0
    reasons = sorted(e.reason for _, e in await RedisQuarantine(aredis, keys, 10).entries(10))
    assert len(reasons) == 3
    assert "denied.json.gz: access_denied: AccessDenied: Access Denied" in reasons[0]
    assert "expired.json.gz: expired_credentials: ExpiredToken" in reasons[1]
    assert "slow.json.gz: throttled: SlowDown" in reasons[2]
    # each failed object's log line names the queue, the bucket, the key, and why
    lines = {
        r.__dict__["key"]: r.__dict__
        for r in caplog.records
        if r.getMessage() == "object failed, quarantined"
    }
    assert sorted(lines) == sorted(_TRAIL + name for name in _ANSWERS)
    for name, (_status, code, _message) in _ANSWERS.items():
        line = lines[_TRAIL + name]
        assert line["queue"] == queue
        assert line["bucket"] == "trail-bucket"
        assert line["error"].startswith(code)
        assert line["reason"].startswith(f"s3://trail-bucket/{_TRAIL}{name}: {line['kind']}: ")
        assert line["reason"].endswith("(received 1 times)")
