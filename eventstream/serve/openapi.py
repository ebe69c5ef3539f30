"""The OpenAPI 3.1 description served at /openapi.json (the event schema is `schemas/`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from eventstream import __version__, codec
from eventstream.filters import PARAMETERS

_FILTER_DOCS = {
    "type": "create, update or delete (comma-separated alternatives)",
    "asset_type": "CloudFormation type, * globs allowed (AWS::EC2::*)",
    "account": "account id(s)",
    "region": "region(s)",
    "method": "provider, cloudformation, terraform, console, cli, sdk or unknown",
    "principal": "principal ARN, name, id, role or session name; * globs allowed",
    "subject_prefix": "asset name prefix (aws/<account>/<region>/<service>/...)",
}


def _param(name: str, doc: str, where: str = "query") -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "description": doc,
        "schema": {"type": "string"},
    }


def _ok(description: str, media: str = "application/json") -> dict[str, Any]:
    return {"200": {"description": description, "content": {media: {}}}, **_ERRORS}


_ERRORS: dict[str, Any] = {
    status: {
        "description": text,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    for status, text in (
        ("400", "bad parameter"),
        ("401", "missing or invalid token"),
        ("403", "outside the token's scope"),
        ("404", "not found"),
    )
}


def _get(summary: str, parameters: list[dict[str, Any]], responses: dict[str, Any]) -> Any:
    return {"get": {"summary": summary, "parameters": parameters, "responses": responses}}


def _open(summary: str, description: str, media: str = "application/json") -> Any:
    return {"get": {"summary": summary, "security": [], "responses": _ok(description, media)}}


def _data_paths() -> dict[str, Any]:
    filters = [_param(name, _FILTER_DOCS[name]) for name in PARAMETERS]
    name = [_param("name", "stable asset name (slashes allowed)", "path")]
    stream = [
        *filters,
        _param("last_event_id", "resume after this id (the Last-Event-ID header wins)"),
        _param("from", "earliest, latest (default) or a time (RFC 3339 / epoch ms) of the journal"),
        _param("since", "JSON page: entries after this id, or from this time"),
        _param("limit", "JSON page size"),
    ]
    both: dict[str, Any] = {"text/event-stream": {}, "application/json": {}}
    listing = [
        *filters,
        _param("cursor", "from a previous page's next"),
        _param("limit", "page size"),
    ]
    return {
        "/v1/events": _get(
            "Asset events: an SSE stream, or a JSON page with since/limit",
            stream,
            {"200": {"description": "stream or page", "content": both}, **_ERRORS},
        ),
        "/v1/events/{id}": _get(
            "One journal entry",
            [_param("id", "journal entry id (the SSE id)", "path")],
            _ok("the entry"),
        ),
        "/v1/assets": _get("Assets, filtered and paged", listing, _ok("a page of assets")),
        "/v1/assets/{name}": _get("Current configuration and metadata", name, _ok("the asset")),
        "/v1/assets/{name}/history": _get("Every version with its event", name, _ok("versions")),
    }


def spec() -> dict[str, Any]:
    error = {
        "type": "object",
        "required": ["code", "message"],
        "properties": {key: {"type": "string"} for key in ("code", "message", "parameter")},
    }
    session = {
        "post": {
            "summary": "Exchange a bearer token for an HttpOnly cookie (for EventSource)",
            "responses": {"204": {"description": "cookie set"}, **_ERRORS},
        },
        "delete": {"summary": "Forget the cookie", "responses": {"204": {"description": "done"}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "EventStream", "version": __version__},
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "es_token"},
            },
            "schemas": {"Error": error},
        },
        "security": [{"bearer": []}, {"cookie": []}],
        "paths": {
            **_data_paths(),
            "/v1/session": session,
            "/healthz": _open("Liveness", "alive"),
            "/readyz": _open("Readiness: Redis, journal reader, sources", "ready"),
            "/metrics": _open("Prometheus metrics", "metrics", "text/plain"),
        },
    }


async def openapi_endpoint(request: Request) -> Response:
    return Response(codec.dumps(spec()), media_type="application/json")
