"""HTTP errors as JSON: `{"code": <stable code>, "message": <text>[, "parameter": <name>]}`."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from eventstream import codec
from eventstream.errors import EventStreamError

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(EventStreamError):
    """An error answered to the client with its status, code and message."""

    def __init__(self, status: int, code: str, message: str, parameter: str | None = None) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.parameter = parameter
        super().__init__(f"{status} {code}: {message}")


def error_response(status: int, code: str, message: str, parameter: str | None = None) -> Response:
    body: dict[str, str] = {"code": code, "message": message}
    if parameter is not None:
        body["parameter"] = parameter
    headers = {"WWW-Authenticate": 'Bearer realm="eventstream"'} if status == 401 else None
    return Response(codec.dumps(body), status, headers, media_type="application/json")


async def api_error_handler(request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiError)
    return error_response(error.status, error.code, error.message, error.parameter)


async def http_error_handler(request: Request, error: Exception) -> Response:
    """Starlette's own errors (404 for an unknown path, 405 with its `Allow` header) as JSON."""
    assert isinstance(error, HTTPException)
    code = _CODES.get(error.status_code, f"http_{error.status_code}")
    response = error_response(error.status_code, code, str(error.detail))
    for name, value in (error.headers or {}).items():
        response.headers[name] = value
    return response


async def unavailable_handler(request: Request, error: Exception) -> Response:
    """Redis down or unreachable: a JSON 503 the client may retry, never a 500 traceback."""
    return error_response(
        503, "journal_unavailable", "the journal (Redis) is unavailable; retry shortly"
    )


async def internal_error_handler(request: Request, error: Exception) -> Response:
    """Anything else unexpected: a JSON 500 naming the error's type (the traceback is logged)."""
    return error_response(
        500, "internal_error", f"{type(error).__name__} while serving the request"
    )
