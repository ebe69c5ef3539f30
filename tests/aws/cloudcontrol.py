"""A small Cloud Control API server (moto has none): the real AWS JSON 1.0 protocol over HTTP
on 127.0.0.1 (aiohttp), `GetResource` and `ListResources` (with `NextToken` pagination), errors
as AWS sends them (HTTP 400, `{"__type": ..., "message": ...}`), throttling on demand, and
only SigV4-signed requests for the `cloudcontrolapi` service accepted."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from eventstream import codec
from tests.aws import awsjson

PREFIX = "CloudApiService."
CONTENT_TYPE = "application/x-amz-json-1.0"
# Credential=<key>/<date>/<region>/cloudcontrolapi/aws4_request
_SCOPE = re.compile(r"^AWS4-HMAC-SHA256 Credential=[^/]+/\d{8}/[a-z0-9-]+/cloudcontrolapi/")


@dataclass
class Call:
    operation: str  # GetResource, ListResources
    body: dict[str, Any]


@dataclass
class FakeCloudControl:
    """Resources by (TypeName, Identifier) → properties, and what callers asked."""

    page_size: int = 2
    resources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    unsupported: set[str] = field(default_factory=set)  # types without a read/list handler
    calls: list[Call] = field(default_factory=list)
    unsigned: int = 0  # requests refused for lacking a SigV4 signature
    throttle_next: int = 0
    throttled: int = 0
    endpoint: str = ""

    def put(self, type_name: str, identifier: str, properties: dict[str, Any]) -> None:
        self.resources[(type_name, identifier)] = properties

    def asked(self, operation: str) -> list[Call]:
        return [c for c in self.calls if c.operation == operation]

    async def handle(self, request: web.Request) -> web.Response:
        if not _SCOPE.match(request.headers.get("Authorization", "")):
            self.unsigned += 1
            return _error(
                403, "MissingAuthenticationTokenException", "Missing Authentication Token"
            )
        target = request.headers.get("X-Amz-Target", "")
        if not target.startswith(PREFIX) or request.content_type != CONTENT_TYPE:
            return _error(400, "UnknownOperationException", f"unknown operation {target!r}")
        operation = target.removeprefix(PREFIX)
        try:
            body = codec.loads(await request.read())
        except codec.JSONDecodeError:
            return _error(400, "SerializationException", "body is not JSON")
        self.calls.append(Call(operation, body))
        if self.throttle_next > 0:
            self.throttle_next -= 1
            self.throttled += 1
            return _error(400, "ThrottlingException", "Rate exceeded")
        type_name = body.get("TypeName")
        if not isinstance(type_name, str):
            return _error(400, "ValidationException", "1 validation error: TypeName is required")
        if type_name in self.unsupported:
            return _error(
                400,
                "UnsupportedActionException",
                f"Resource type {type_name} does not support {operation_verb(operation)} action",
            )
        if operation == "GetResource":
            return self._get(type_name, body)
        if operation == "ListResources":
            return self._list(type_name, body)
        return _error(400, "UnknownOperationException", f"unknown operation {target!r}")

    def _get(self, type_name: str, body: dict[str, Any]) -> web.Response:
        identifier = str(body.get("Identifier", ""))
        properties = self.resources.get((type_name, identifier))
        if properties is None:
            return _error(
                400,
                "ResourceNotFoundException",
                f"Resource of type '{type_name}' with identifier '{identifier}' was not found.",
            )
        return _answer(
            {
                "TypeName": type_name,
                "ResourceDescription": {
                    "Identifier": identifier,
                    "Properties": codec.dumps(properties).decode(),
                },
            }
        )

    def _list(self, type_name: str, body: dict[str, Any]) -> web.Response:
        found = sorted((i, p) for (t, i), p in self.resources.items() if t == type_name)
        offset = int(body.get("NextToken") or 0)
        size = min(int(body.get("MaxResults", 100)), self.page_size)
        page = found[offset : offset + size]
        answer: dict[str, Any] = {
            "TypeName": type_name,
            "ResourceDescriptions": [
                {"Identifier": i, "Properties": codec.dumps(p).decode()} for i, p in page
            ],
        }
        if offset + size < len(found):
            answer["NextToken"] = str(offset + size)
        return _answer(answer)


def operation_verb(operation: str) -> str:
    return "LIST" if operation == "ListResources" else "READ"


def _answer(body: dict[str, Any]) -> web.Response:
    return web.Response(
        body=codec.dumps(body),
        content_type=CONTENT_TYPE,
        headers={"x-amzn-RequestId": "00000000-0000-0000-0000-000000000000"},
    )


def _error(status: int, code: str, message: str) -> web.Response:
    return awsjson.error(status, code, message, CONTENT_TYPE)


@asynccontextmanager
async def cloudcontrol_server(fake: FakeCloudControl) -> AsyncIterator[FakeCloudControl]:
    async with awsjson.served(fake.handle) as endpoint:
        fake.endpoint = endpoint
        yield fake
