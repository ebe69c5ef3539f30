"""Receivers that check the wire format the way the products document it: Splunk's HTTP Event
Collector and Elasticsearch's `_bulk` API (answers, error codes and partial failures included)."""

from __future__ import annotations

import json  # noqa: TID251 - HEC batches are concatenated objects; orjson reads one document
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from eventstream import codec
from tests.forward.conftest import Received

HEC_PATH = "/services/collector/event"
HEC_KEYS = frozenset({"time", "host", "source", "sourcetype", "index", "fields", "event"})


def hec_objects(body: bytes) -> list[dict[str, Any]]:
    """The objects of a HEC batch: JSON objects concatenated, with or without whitespace."""
    decoder = json.JSONDecoder()
    text = body.decode()
    found: list[dict[str, Any]] = []
    position = 0
    while position < len(text):
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            break
        value, position = decoder.raw_decode(text, position)
        found.append(value)
    return found


def _hec(status: int, text: str, code: int, **extra: Any) -> web.Response:
    return web.Response(
        status=status,
        body=codec.dumps({"text": text, "code": code, **extra}),
        content_type="application/json",
    )


@dataclass
class SplunkHec:
    """HEC as documented: `POST /services/collector/event`, `Authorization: Splunk <token>`,
    a batch of event objects; answers `{"text", "code"}` (0 Success, 2 Token is required,
    3 Invalid authorization, 4 Invalid token, 6 Invalid data format, 7 Incorrect index,
    9 Server is busy, 12 Event field is required). Events before an invalid one are indexed."""

    token: str = "hec-token"
    indexes: frozenset[str] = frozenset({"main", "cloud"})
    busy_first: int = 0
    invalid_ids: frozenset[str] = frozenset()
    indexed: list[dict[str, Any]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)

    def __call__(self, request: Received, number: int) -> web.Response:
        answer = self._answer(request, number)
        self.answers.append(answer.status)
        return answer

    def _answer(self, request: Received, number: int) -> web.Response:
        if request.path != HEC_PATH:
            return _hec(404, "The requested URL was not found on this server.", 404)
        auth = request.headers.get("Authorization", "")
        if not auth:
            return _hec(401, "Token is required", 2)
        scheme, _, token = auth.partition(" ")
        if scheme != "Splunk":
            return _hec(401, "Invalid authorization", 3)
        if token != self.token:
            return _hec(403, "Invalid token", 4)
        if number < self.busy_first:
            return _hec(503, "Server is busy", 9)
        try:
            objects = hec_objects(request.body)
        except ValueError:
            return _hec(400, "Invalid data format", 6)
        if not objects:
            return _hec(400, "No data", 5)
        accepted: list[dict[str, Any]] = []
        for position, item in enumerate(objects):
            problem = self._problem(item)
            if problem is not None:
                self.indexed.extend(accepted)  # HEC indexes the events before the bad one
                text, code = problem
                return _hec(400, text, code, **{"invalid-event-number": position})
            accepted.append(item)
        self.indexed.extend(accepted)
        return _hec(200, "Success", 0)

    def _problem(self, item: Any) -> tuple[str, int] | None:
        if not isinstance(item, dict) or set(item) - HEC_KEYS:
            return "Invalid data format", 6
        if "event" not in item:
            return "Event field is required", 12
        if not isinstance(item.get("time"), int | float):
            return "Invalid data format", 6
        if "index" in item and item["index"] not in self.indexes:
            return "Incorrect index", 7
        if item["event"].get("id") in self.invalid_ids:
            return "Invalid data format", 6
        return None


@dataclass
class ElasticBulk:
    """`POST /<index>/_bulk` as documented: NDJSON, each action line followed by its document,
    the body ending in a newline; `create` with an `_id` that exists is a 409 item. Answers
    `{"took", "errors", "items": [{"create": {"_index", "_id", "status", "error"?}}]}`.
    `reject_once` ids get a 429 item the first time, `unmappable` ids a 400 item always;
    a body of more than `max_docs` documents is a 413."""

    index: str = "assets"
    reject_once: set[str] = field(default_factory=set)
    unmappable: frozenset[str] = frozenset()
    max_docs: int = 10_000
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)
    sizes: list[int] = field(default_factory=list)

    def __call__(self, request: Received, number: int) -> web.Response:
        if not request.path.endswith("/_bulk"):
            return web.Response(status=404)
        if request.headers.get("Content-Type", "").split(";")[0] != "application/x-ndjson":
            return web.Response(status=406, text="Content-Type header is not supported")
        if not request.body.endswith(b"\n"):
            return _error(400, "The bulk request must be terminated by a newline [\\n]")
        rows = [codec.loads(line) for line in request.body.split(b"\n")[:-1]]
        if len(rows) % 2:
            return _error(400, "Malformed action/metadata line")
        self.sizes.append(len(rows) // 2)
        if len(rows) // 2 > self.max_docs:
            return web.Response(status=413, text="Request Entity Too Large")
        items = [self._create(rows[i], rows[i + 1]) for i in range(0, len(rows), 2)]
        errors = any(item["create"]["status"] >= 300 for item in items)
        return web.Response(
            body=codec.dumps({"took": 3, "errors": errors, "items": items}),
            content_type="application/json",
        )

    def _create(self, action: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
        meta = action["create"]
        doc_id, index = meta["_id"], meta.get("_index", self.index)
        result: dict[str, Any] = {"_index": index, "_id": doc_id}
        if doc_id in self.reject_once:
            self.reject_once.discard(doc_id)
            result |= {"status": 429, "error": _type("es_rejected_execution_exception")}
        elif doc_id in self.unmappable:
            result |= {"status": 400, "error": _type("mapper_parsing_exception")}
        elif doc_id in self.docs:
            result |= {"status": 409, "error": _type("version_conflict_engine_exception")}
        else:
            self.docs[doc_id] = doc
            result |= {"status": 201, "result": "created", "_version": 1}
        return {"create": result}


def _type(kind: str) -> dict[str, str]:
    return {"type": kind, "reason": f"{kind} for the test"}


def _error(status: int, reason: str) -> web.Response:
    body = {"error": {"type": "illegal_argument_exception", "reason": reason}, "status": status}
    return web.Response(status=status, body=codec.dumps(body), content_type="application/json")
