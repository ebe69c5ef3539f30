"""AWS clients for the sources (aiobotocore), and what their errors mean to a source.

Credentials come from botocore's default chain (environment, profile, container or instance
role, web identity); endpoints from botocore's standard settings (`AWS_ENDPOINT_URL`,
`AWS_ENDPOINT_URL_SQS`, ...) unless a source names its own `endpoint_url` (moto, LocalStack, a
VPC endpoint). No client is shared between sources, nothing is global.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession, get_session
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
)

_THROTTLED = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "SlowDown",
        "RequestLimitExceeded",
    }
)
_EXPIRED = frozenset(
    {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "InvalidClientTokenId"}
)
_DENIED = frozenset(
    {"AccessDenied", "AccessDeniedException", "AccessDenied.Exception", "UnauthorizedOperation"}
)
_MISSING = frozenset({"NoSuchKey", "NoSuchBucket", "404", "NotFound"})
_NO_QUEUE = frozenset({"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"})


def session() -> AioSession:
    """A new session (its own credential cache)."""
    return get_session()


@contextlib.asynccontextmanager
async def client(
    aio_session: AioSession,
    service: str,
    *,
    region: str | None,
    endpoint_url: str | None,
    max_attempts: int = 3,
    read_timeout_s: float = 60.0,
) -> AsyncIterator[Any]:
    """An aiobotocore client; `endpoint_url` None lets botocore's endpoint settings decide."""
    config = AioConfig(
        retries={"mode": "standard", "total_max_attempts": max_attempts},
        read_timeout=read_timeout_s,
        connect_timeout=10,
    )
    async with aio_session.create_client(
        service, region_name=region, endpoint_url=endpoint_url or None, config=config
    ) as made:
        yield made


def error_kind(error: BaseException) -> str:
    """A short label for an AWS failure (the `error` label of the metrics, and the log line):
    throttled, expired_credentials, no_credentials, access_denied, not_found, no_queue,
    unreachable, client_error or other."""
    if isinstance(error, ClientError):
        code = error_code(error)
        if code in _THROTTLED:
            return "throttled"
        if code in _EXPIRED:
            return "expired_credentials"
        if code in _DENIED:
            return "access_denied"
        if code in _MISSING:
            return "not_found"
        if code in _NO_QUEUE:
            return "no_queue"
        return "client_error"
    if isinstance(error, NoCredentialsError):
        return "no_credentials"
    if isinstance(error, EndpointConnectionError):
        return "unreachable"
    if isinstance(error, BotoCoreError | OSError | TimeoutError):
        return "unreachable"
    return "other"


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def describe(error: BaseException) -> str:
    """One line: the code and the message AWS gave."""
    if isinstance(error, ClientError):
        message = error.response.get("Error", {}).get("Message", "")
        return f"{error_code(error)}: {message}".rstrip(": ")
    return f"{type(error).__name__}: {error}"


AWS_ERRORS = (ClientError, BotoCoreError, OSError, TimeoutError)
"""What a call to AWS raises when it fails (anything else is a bug)."""
