"""A small CloudTrail `LookupEvents` server (moto has none): the real JSON 1.1 protocol over
HTTP on 127.0.0.1 (aiohttp), with `NextToken` pagination, the API's limit of 2 requests per
second and region (a faster caller gets `ThrottlingException`, as from AWS), throttling on
demand, and events per region (the region a request is signed for, as AWS tells them apart;
an event added without a region is in every region) with a region that fails on demand."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from eventstream import codec
from tests.aws import awsjson

TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"
_WINDOW_S = 0.7  # 2 requests per second: a third within this of the one two before is over it
# (3 per second or more is caught; 0.3 s of slack for arrival jitter on a loaded machine)


@dataclass
class Request:
    at: float
    start: float
    end: float
    token: str | None
    read_only: str | None
    region: str = ""


@dataclass
class FakeCloudTrail:
    """Events (CloudTrail records with their epoch times) and what callers asked."""

    page_size: int = 20
    events: list[tuple[float, dict[str, Any], str]] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    throttle_next: int = 0
    throttled: int = 0
    too_fast: int = 0
    denied: set[str] = field(default_factory=set)  # regions that answer AccessDenied
    endpoint: str = ""

    def add(self, moment: float, record: dict[str, Any], region: str = "") -> None:
        self.events.append((moment, record, region))

    def asked(self, region: str) -> list[Request]:
        return [r for r in self.requests if r.region == region]

    async def handle(self, request: web.Request) -> web.Response:
        if request.headers.get("X-Amz-Target") != TARGET:
            return _error(400, "UnknownOperationException", "unknown operation")
        body = codec.loads(await request.read())
        now = time.monotonic()
        region = _signed_region(request.headers.get("Authorization", ""))
        before = self.asked(region)
        two_before = before[-2].at if len(before) >= 2 else None
        attributes = body.get("LookupAttributes") or [{}]
        self.requests.append(
            Request(
                now,
                float(body["StartTime"]),
                float(body["EndTime"]),
                body.get("NextToken"),
                attributes[0].get("AttributeValue"),
                region,
            )
        )
        if two_before is not None and now - two_before < _WINDOW_S:
            self.too_fast += 1
            self.throttled += 1
            return _error(400, "ThrottlingException", "Rate exceeded")
        if region in self.denied:
            return _error(400, "AccessDeniedException", f"not authorized in {region}")
        if self.throttle_next > 0:
            self.throttle_next -= 1
            self.throttled += 1
            return _error(400, "ThrottlingException", "Rate exceeded")
        start, end = float(body["StartTime"]), float(body["EndTime"])
        found = sorted(
            (
                (moment, record)
                for moment, record, where in self.events
                if start <= moment <= end and where in {"", region}
            ),
            key=lambda pair: -pair[0],  # newest first, as CloudTrail answers
        )
        offset = int(body.get("NextToken") or 0)
        size = min(int(body.get("MaxResults", 50)), self.page_size)
        page = found[offset : offset + size]
        answer: dict[str, Any] = {
            "Events": [
                {
                    "EventId": record["eventID"],
                    "EventName": record["eventName"],
                    "ReadOnly": "false",
                    "EventTime": moment,
                    "EventSource": record["eventSource"],
                    "CloudTrailEvent": codec.dumps(record).decode(),
                }
                for moment, record in page
            ]
        }
        if offset + size < len(found):
            answer["NextToken"] = str(offset + size)
        return web.Response(body=codec.dumps(answer), content_type="application/x-amz-json-1.1")


def _signed_region(authorization: str) -> str:
    """The region of a SigV4 `Authorization` header's credential scope
    (`Credential=<key>/<date>/<region>/<service>/aws4_request`)."""
    _, _, rest = authorization.partition("Credential=")
    parts = rest.split(",", 1)[0].split("/")
    return parts[2] if len(parts) >= 5 else ""


def _error(status: int, code: str, message: str) -> web.Response:
    return awsjson.error(status, code, message, "application/x-amz-json-1.1")


@asynccontextmanager
async def cloudtrail_server(fake: FakeCloudTrail) -> AsyncIterator[FakeCloudTrail]:
    async with awsjson.served(fake.handle) as endpoint:
        fake.endpoint = endpoint
        yield fake
