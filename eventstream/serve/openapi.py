"""The OpenAPI 3.1 description served at /openapi.json.

It says exactly what the server accepts and answers, and the test suite holds it to that
(`tests/serve/test_openapi_conformance.py` runs schemathesis against a live server, with auth
on and off): every parameter's schema admits only values the server takes (so a value the
schema allows is never a 400), every status the server can answer is listed with its body's
schema, and the event schema is the one of `schemas/` (the `AssetEvent` model).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from eventstream import __version__, codec
from eventstream.filters import GRAMMARS, MAX_VALUE_CHARS, PARAMETERS
from eventstream.models.event import AssetEvent
from eventstream.serve.params import FROM, SINCE, STREAM_ID

_REF = "#/components/schemas/{model}"
_NOT_SEALED_NAME = r"[^c\x00][^\x00]*|c|c[^1\x00][^\x00]*|c1|c1[^.\x00][^\x00]*"


def _exactly(pattern: str, **extra: Any) -> dict[str, Any]:
    """A string parameter the server accepts exactly when it matches `pattern` (the same
    regular expression it checks with)."""
    return {"type": "string", "pattern": f"^(?:{pattern})$", **extra}


def _filter(name: str, doc: str) -> tuple[str, dict[str, Any]]:
    return doc, _exactly(GRAMMARS[name], maxLength=MAX_VALUE_CHARS)


_FILTERS: dict[str, tuple[str, dict[str, Any]]] = {
    "type": _filter("type", "create, update or delete (comma-separated alternatives)"),
    "asset_type": _filter("asset_type", "CloudFormation type; `*`, `?` and `[...]` globs"),
    "account": _filter("account", "account id(s): events recorded by it or about its assets"),
    "region": _filter("region", "region(s)"),
    "method": _filter(
        "method", "how: provider, cloudformation, terraform, console, cli, sdk or unknown"
    ),
    "principal": _filter("principal", "principal ARN, name, id, role or session; globs"),
    "subject_prefix": _filter("subject_prefix", "asset name prefix (aws/<account>/<region>/...)"),
}
_ASSET_FILTERS = ("type", "asset_type", "account", "region", "subject_prefix")


def _param(
    name: str, doc: str, schema: dict[str, Any], where: str = "query", required: bool = False
) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": required or where == "path",
        "description": doc,
        "schema": schema,
    }


def _body(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _ref(model: str) -> dict[str, str]:
    return {"$ref": _REF.format(model=model)}


_CONNECTION = ("408", "429", "431", "503")
"""What the connection layer may answer to any request, before the app sees it."""


def _errors(*statuses: str) -> dict[str, Any]:
    texts = {
        "400": "a bad parameter (named in `parameter`)",
        "401": "missing or invalid token or session",
        "403": "an explicit filter outside the token's scope (`account=`), or not allowed",
        "404": "not found, or outside the token's scope (answered alike)",
        "408": "the request head (or body) did not arrive in time (`head_timeout_s`)",
        "413": "request body too large (`max_body_bytes`)",
        "431": "request head too large (`max_head_bytes`)",
        "429": "too many connections from this client (retry later)",
        "503": "the journal (Redis) is unavailable, or the server is at its connection limit",
    }
    answers = {status: _body("Error", texts[status]) for status in {*statuses, *_CONNECTION}}
    answers["405"] = _METHOD_NOT_ALLOWED
    return dict(sorted(answers.items()))


_METHOD_NOT_ALLOWED = {
    **_body("Error", "a method this path does not take (any other than those described here)"),
    "headers": {
        "Allow": {
            "description": "the methods this path takes (GET comes with HEAD)",
            "required": True,
            "schema": {"type": "string"},
        }
    },
}


_DATA_ERRORS = ("400", "401", "403", "503")


def _get(
    summary: str, parameters: list[dict[str, Any]], responses: dict[str, Any]
) -> dict[str, Any]:
    return {"get": {"summary": summary, "parameters": parameters, "responses": responses}}


def _data_paths() -> dict[str, Any]:
    filters = [_param(name, *_FILTERS[name]) for name in PARAMETERS]
    id_doc = "a stream id (`<ms>-<seq>`), or the sealed `c1.` cursor a scoped stream sent"
    start = [
        _param("Last-Event-ID", f"resume after this id: {id_doc}", _exactly(STREAM_ID), "header"),
        _param(
            "last_event_id",
            f"resume after this id (the header wins): {id_doc}",
            _exactly(STREAM_ID),
        ),
        _param(
            "from",
            "earliest, latest (the stream's default) or a time (RFC 3339, or epoch ms)",
            _exactly(FROM),
        ),
    ]
    page = [
        _param(
            "since",
            "JSON page: entries after this id (or a page's sealed `next`), from this time "
            "(RFC 3339 or epoch ms), or `earliest`; it wins over the stream parameters",
            _exactly(SINCE),
        ),
        _param("limit", "JSON page size", {"type": "integer", "minimum": 1, "maximum": 1000}),
    ]
    name = [
        _param(
            "name",
            "stable asset name, as one path segment with its `/` encoded as `%2F`",
            {"type": "string", "minLength": 1},
            "path",
        )
    ]
    listing = [
        *[_param(key, *_FILTERS[key]) for key in _ASSET_FILTERS],
        _param("deleted", "only deleted (true) or only live (false) assets", {"type": "boolean"}),
        _param(
            "cursor",
            "a previous page's `next` (an asset name, or a sealed `c1.` cursor)",
            _exactly(_NOT_SEALED_NAME),
        ),
        _param("limit", "page size", {"type": "integer", "minimum": 1, "maximum": 1000}),
    ]
    stream_or_page = {
        "description": "an SSE stream (default), or a JSON page when `since` or `limit` is given "
        "or only `application/json` is accepted",
        "content": {
            "text/event-stream": {"schema": _ref("ServerSentEvent")},
            "application/json": {"schema": _ref("EventPage")},
        },
    }
    return {
        "/v1/events": _get(
            "Asset events: an SSE stream, or a JSON page",
            [*filters, *start, *page],
            {"200": stream_or_page, **_errors(*_DATA_ERRORS)},
        ),
        "/v1/events/{id}": _get(
            "One journal entry",
            [_param("id", "journal entry id (the SSE id)", _exactly(STREAM_ID), "path")],
            {"200": _body("EventItem", "the entry"), **_errors("400", "401", "404", "503")},
        ),
        "/v1/assets": _get(
            "Assets, filtered and paged",
            listing,
            {"200": _body("AssetPage", "a page of assets"), **_errors(*_DATA_ERRORS)},
        ),
        "/v1/assets/{name}": _get(
            "An asset's current configuration and metadata",
            name,
            {"200": _body("AssetDocument", "the asset"), **_errors("401", "404", "503")},
        ),
        "/v1/assets/{name}/history": _get(
            "Every kept version of an asset, newest first, with its event",
            name,
            {"200": _body("HistoryPage", "the versions"), **_errors("401", "404", "503")},
        ),
    }


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _schemas() -> dict[str, Any]:
    event_schema = AssetEvent.model_json_schema(
        by_alias=True, mode="serialization", ref_template=_REF
    )
    schemas: dict[str, Any] = dict(event_schema.pop("$defs", {}))
    schemas["AssetEvent"] = event_schema
    string, boolean, integer = {"type": "string"}, {"type": "boolean"}, {"type": "integer"}
    asset = {
        "type": "object",
        "required": ["name", "asset", "version", "deleted", "time", "last_action"],
        "properties": {
            "name": string,
            "asset": {"type": "object"},
            "version": integer,
            "deleted": boolean,
            "time": string,
            "last_action": string,
            "last_event_id": string,
            "configuration": _nullable({"type": "object"}),
        },
    }
    version = {
        "type": "object",
        "required": ["version", "time", "action", "deleted", "event_id"],
        "properties": {
            "version": integer,
            "time": string,
            "action": string,
            "deleted": boolean,
            "event_id": string,
            "configuration": _nullable({"type": "object"}),
            "configuration_from_event": boolean,
            "synced": boolean,
            "journal_id": _nullable(string),
            "event": _nullable(_ref("AssetEvent")),
        },
    }
    item = {
        "type": "object",
        "required": ["id", "event"],
        "properties": {"id": string, "event": _ref("AssetEvent")},
    }
    reset = {
        "type": "object",
        "required": ["reason", "resume_after"],
        "properties": {"reason": string, "resume_after": string},
    }
    return {
        **schemas,
        "Error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": string, "message": string, "parameter": string},
            "additionalProperties": False,
        },
        "EventItem": item,
        "EventPage": {
            "type": "object",
            "required": ["items", "next", "last"],
            "properties": {
                "items": {"type": "array", "items": _ref("EventItem")},
                "next": _nullable(string),
                "last": string,
                "reset": reset,
            },
        },
        "AssetDocument": asset,
        "AssetPage": {
            "type": "object",
            "required": ["items", "next"],
            "properties": {
                "items": {"type": "array", "items": _ref("AssetDocument")},
                "next": _nullable(string),
            },
        },
        "HistoryPage": {
            "type": "object",
            "required": ["items", "next", "asset"],
            "properties": {
                "items": {"type": "array", "items": version},
                "next": {"type": "null"},
                "asset": _ref("AssetDocument"),
            },
        },
        "ServerSentEvent": {
            "description": "One event of the stream: an asset event (`event` is its CloudEvents "
            "type, `data` its JSON, `id` its journal id), `reset` (a gap: `data` says why and "
            "where the stream resumes) or `close` (the server ends the stream: reconnect)",
            "type": "object",
            "properties": {
                "event": {
                    "type": "string",
                    "pattern": r"^(.+\.asset\.(create|update|delete)|reset|close)$",
                },
                "data": string,
                "id": string,
                "retry": {"type": "integer", "minimum": 0},
            },
        },
        "Health": {
            "type": "object",
            "required": ["status"],
            "properties": {"status": string, "checks": {"type": "object"}},
        },
    }


def _content(description: str, media: str, kind: str) -> dict[str, Any]:
    """A 200 answer of `media` whose body is a JSON Schema `kind` (not one of the models)."""
    return {"description": description, "content": {media: {"schema": {"type": kind}}}}


def _open(summary: str, responses: dict[str, Any]) -> dict[str, Any]:
    return {"get": {"summary": summary, "security": [], "responses": responses}}


def spec(auth: bool = True) -> dict[str, Any]:
    """The description; `auth`: whether this server asks for a token (else none is needed)."""
    session = {
        "post": {
            "summary": "Open a session (`Authorization: Bearer`) and set its id as an HttpOnly "
            "cookie, for EventSource",
            "responses": {
                "204": {"description": "session opened, cookie set"},
                **_errors("401", "413", "503"),
            },
        },
        "delete": {
            "summary": "Revoke the session and drop its cookie",
            "security": [],
            "responses": {"204": {"description": "done"}, **_errors("503")},
        },
    }
    health = {"200": _body("Health", "alive"), **_errors()}
    ready = {**_errors(), "200": _body("Health", "ready"), "503": _body("Health", "not ready")}
    metrics = {
        "200": _content("Prometheus text", "text/plain", "string"),
        **_errors("401", "403"),
    }
    description = {
        "200": _content("the OpenAPI 3.1 description of this server", "application/json", "object"),
        **_errors(),
    }
    page = {
        "200": _content("an HTML page that reads the stream (EventSource)", "text/html", "string"),
        **_errors(),
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "EventStream", "version": __version__},
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "es_token"},
            },
            "schemas": _schemas(),
        },
        "security": [{"bearer": []}, {"cookie": []}] if auth else [],
        "paths": {
            **_data_paths(),
            "/v1/session": session,
            "/healthz": _open("Liveness", health),
            "/readyz": _open("Readiness: Redis, the journal reader, the sources", ready),
            "/metrics": _open("Prometheus metrics (a token with `metrics` when required)", metrics),
            "/openapi.json": _open("This description", description),
            "/": _open("A live view of the stream in the browser", page),
        },
    }


async def openapi_endpoint(request: Request) -> Response:
    auth: bool = request.state.services.auth.enabled
    return Response(codec.dumps(spec(auth)), media_type="application/json")
