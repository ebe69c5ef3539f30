"""What the stream and the REST helpers share: filter parameters in the server's vocabulary,
and HTTP answers turned into the client's errors."""

from __future__ import annotations

from collections.abc import Iterable

import aiohttp

from eventstream import codec
from eventstream.errors import (
    BadRequestError,
    ForbiddenError,
    NotAnEventStreamError,
    NotFoundError,
    PermanentError,
    UnauthorizedError,
)
from eventstream.filters import parse_filter

__all__ = ["Filters", "Retryable", "check_answer", "filter_params", "retry_after_s"]

Filters = str | Iterable[str] | None
"""One value, or alternatives (`["create", "delete"]`), or none."""

_PERMANENT: dict[int, type[PermanentError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    405: PermanentError,
    406: PermanentError,
    410: NotFoundError,
    422: BadRequestError,
}


class Retryable(Exception):
    """An answer worth trying again (5xx, 429...), with the server's `Retry-After`, if any."""

    def __init__(self, status: int, reason: str, retry_after_s: float) -> None:
        self.status = status
        self.reason = reason
        self.retry_after_s = retry_after_s
        super().__init__(f"status={status}: {reason}")


def _values(value: Filters) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value]


def filter_params(
    *,
    types: Filters = None,
    asset_types: Filters = None,
    accounts: Filters = None,
    regions: Filters = None,
    methods: Filters = None,
    principals: Filters = None,
    subject_prefixes: Filters = None,
) -> dict[str, str]:
    """Query parameters of the server's filter grammar (`eventstream.filters`), checked here
    first: a bad value is a `FilterError` naming the parameter before any request is sent."""
    given = {
        "type": _values(types),
        "asset_type": _values(asset_types),
        "account": _values(accounts),
        "region": _values(regions),
        "method": _values(methods),
        "principal": _values(principals),
        "subject_prefix": _values(subject_prefixes),
    }
    params = {name: ",".join(values) for name, values in given.items() if values}
    parse_filter({name: [value] for name, value in params.items()})
    return params


def retry_after_s(response: aiohttp.ClientResponse) -> float:
    raw = response.headers.get("Retry-After", "")
    return float(raw) if raw.isdigit() else 0.0


async def _reason(response: aiohttp.ClientResponse) -> tuple[str, str, str]:
    """The server's `{"code", "message", "parameter"}` error body, or the status text."""
    try:
        body = await response.read()
        parsed = codec.loads(body) if body else None
    except (aiohttp.ClientError, ValueError):
        parsed = None
    if isinstance(parsed, dict):
        return (
            str(parsed.get("message") or response.reason or ""),
            str(parsed.get("code") or ""),
            str(parsed.get("parameter") or ""),
        )
    return str(response.reason or ""), "", ""


async def check_answer(response: aiohttp.ClientResponse, *, stream: bool = False) -> None:
    """Raises the `PermanentError` of a 4xx answer, `Retryable` for 5xx, 408 and 429, and for
    a stream, `NotAnEventStreamError` when a 200 is not `text/event-stream`."""
    status = response.status
    url = str(response.url)
    if 200 <= status < 300:
        if stream and response.content_type != "text/event-stream":
            raise NotAnEventStreamError(
                url, status, f"content type is {response.content_type!r}, not text/event-stream"
            )
        return
    reason, code, parameter = await _reason(response)
    if status in (408, 429) or status >= 500:
        raise Retryable(status, reason, retry_after_s(response))
    kind = _PERMANENT.get(status, PermanentError)
    raise kind(url, status, reason, code=code, parameter=parameter)
