"""Sessions in other accounts through an assumed role (STS `AssumeRole`), one per account,
cached and renewed before they expire.

The renewal is checked on every `RoleSessions.session()` call against an injected clock rather
than left to botocore's refreshable credentials: a session within `renew_before_s` of its
expiry is replaced by a new one (a new generation), so a client handed out stays valid at least
that long, and the behaviour can be tested without waiting an hour. A role that cannot be
assumed raises `AssumeRoleError` (account, role ARN, error kind); the failure is remembered for
`retry_failed_after_s`, so a burst of changes in a denied account makes one STS call, not one
per change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from aiobotocore.session import AioSession

from eventstream.config.accounts import AccountsSettings
from eventstream.enrich.live.outcome import AssumeRoleError
from eventstream.sources import aws

log = logging.getLogger(__name__)

STS_REGION = "us-east-1"  # when the AWS configuration names no region


@dataclass(frozen=True, slots=True)
class RoleCredentials:
    """Temporary credentials of one assumed-role session."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    expires_at: float  # epoch seconds


class Assume(Protocol):
    """STS `AssumeRole`: temporary credentials for `role_arn`, or an AWS error raised."""

    async def __call__(
        self, role_arn: str, *, session_name: str, duration_s: int, external_id: str | None
    ) -> RoleCredentials: ...


class StsAssume:
    """`Assume` (and `GetCallerIdentity`) through one aiobotocore STS client of the default
    credential chain, opened on first use and closed by `close()`."""

    def __init__(
        self,
        *,
        session: AioSession | None = None,
        endpoint_url: str | None = None,
        region: str | None = None,
    ) -> None:
        self._session = session or aws.session()
        self._endpoint_url = endpoint_url
        self._region = region
        self._stack = contextlib.AsyncExitStack()
        self._client: Any = None
        self._lock = asyncio.Lock()

    async def _sts(self) -> Any:
        async with self._lock:
            if self._client is None:
                region = self._region or self._session.get_config_variable("region") or STS_REGION
                made = aws.client(
                    self._session,
                    "sts",
                    region=str(region),
                    endpoint_url=self._endpoint_url,
                    read_timeout_s=20.0,
                )
                self._client = await self._stack.enter_async_context(made)
            return self._client

    async def __call__(
        self, role_arn: str, *, session_name: str, duration_s: int, external_id: str | None
    ) -> RoleCredentials:
        params: dict[str, Any] = {
            "RoleArn": role_arn,
            "RoleSessionName": session_name,
            "DurationSeconds": duration_s,
        }
        if external_id:
            params["ExternalId"] = external_id
        sts = await self._sts()
        got = (await sts.assume_role(**params))["Credentials"]
        return RoleCredentials(
            got["AccessKeyId"],
            got["SecretAccessKey"],
            got["SessionToken"],
            got["Expiration"].timestamp(),
        )

    async def caller_account(self) -> str:
        """The account of the default credentials (`GetCallerIdentity` needs no permission)."""
        sts = await self._sts()
        return str((await sts.get_caller_identity())["Account"])

    async def close(self) -> None:
        self._client = None
        await self._stack.aclose()


@dataclass(frozen=True, slots=True)
class Held:
    """An account's current session: `generation` grows by one at each renewal, so a cache of
    clients made from it can tell its clients are stale."""

    session: AioSession
    generation: int
    expires_at: float


class RoleSessions:
    """One assumed-role session per account, made on first use and renewed before expiry."""

    def __init__(
        self,
        assume: Assume,
        settings: AccountsSettings,
        *,
        external_id: str | None = None,
        clock: Callable[[], float] = time.time,
        retry_failed_after_s: float = 60.0,
    ) -> None:
        self._assume = assume
        self._settings = settings
        self._external_id = external_id
        self._clock = clock
        self._retry_failed_after_s = retry_failed_after_s
        self._held: dict[str, Held] = {}
        self._failed: dict[str, tuple[float, AssumeRoleError]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def role_arn(self, account: str) -> str:
        return self._settings.role_arn(account)

    def _fresh(self, held: Held | None) -> bool:
        return held is not None and self._clock() < held.expires_at - self._settings.renew_before_s

    async def session(self, account: str) -> Held:
        """The account's session, assuming its role when there is none or it is about to
        expire; raises `AssumeRoleError`."""
        held = self._held.get(account)
        if self._fresh(held):
            assert held is not None
            return held
        lock = self._locks.setdefault(account, asyncio.Lock())
        async with lock:
            held = self._held.get(account)
            if self._fresh(held):
                assert held is not None
                return held
            failed = self._failed.get(account)
            if failed is not None and self._clock() < failed[0]:
                return self._still_valid(held, failed[1])
            try:
                made = await self._new(account, 0 if held is None else held.generation + 1)
            except AssumeRoleError as e:
                self._failed[account] = (self._clock() + self._retry_failed_after_s, e)
                log.warning(
                    "cannot assume the account's role",
                    extra={"account": account, "role_arn": e.role_arn, "error": e.kind},
                )
                return self._still_valid(held, e)
            self._failed.pop(account, None)
            self._held[account] = made
            return made

    def _still_valid(self, held: Held | None, error: AssumeRoleError) -> Held:
        """After a failed renewal, the old session while it has not expired."""
        if held is not None and self._clock() < held.expires_at:
            return held
        raise error

    async def _new(self, account: str, generation: int) -> Held:
        role_arn = self.role_arn(account)
        try:
            got = await self._assume(
                role_arn,
                session_name=self._settings.session_name,
                duration_s=self._settings.session_duration_s,
                external_id=self._external_id,
            )
        except aws.AWS_ERRORS as e:
            raise AssumeRoleError(account, role_arn, aws.error_kind(e), aws.describe(e)) from e
        session = aws.session()
        session.set_credentials(
            got.access_key_id, got.secret_access_key, got.session_token, account_id=account
        )
        log.info(
            "assumed the account's role",
            extra={"account": account, "role_arn": role_arn, "generation": generation},
        )
        return Held(session, generation, got.expires_at)
