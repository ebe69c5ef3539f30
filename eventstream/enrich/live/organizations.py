"""The accounts to read: the configured ids, and the ACTIVE accounts AWS Organizations lists.

Organizations is asked with the default credentials (the management account, or a delegated
administrator), once on first use and again, at most every `refresh_s`, when an account it did
not list is asked for, so that a new account is picked up without a restart and an unknown one
does not make a call per change (nor does a failing ListAccounts: its error is kept a minute)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from eventstream.enrich.live.outcome import CredentialsError
from eventstream.sources import aws

SERVICE = "organizations"
REGION = "us-east-1"  # Organizations' endpoint (a global service)
RETRY_FAILED_AFTER_S = 60.0  # a failed ListAccounts is not asked again before this


async def active_accounts(client: Any, *, page_size: int | None = None) -> list[str]:
    """Every ACTIVE account of the organization (`ListAccounts`, all pages), in its order;
    suspended and closing accounts are left out."""
    paginator = client.get_paginator("list_accounts")
    config = {"PageSize": page_size} if page_size else {}
    found: list[str] = []
    async for page in paginator.paginate(PaginationConfig=config):
        for account in page.get("Accounts") or []:
            if account.get("Status") == "ACTIVE" and account.get("Id"):
                found.append(str(account["Id"]))
    return found


class AccountList:
    """Whether an account is configured: the explicit `ids`, plus Organizations' accounts
    when `listed` is given (a call returning them, raising an AWS error)."""

    def __init__(
        self,
        ids: list[str],
        listed: Callable[[], Awaitable[list[str]]] | None = None,
        *,
        refresh_s: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ids = list(ids)
        self._listed = listed
        self._refresh_s = refresh_s
        self._clock = clock
        self._organization: list[str] | None = None
        self._loaded_at = 0.0
        self._failed: tuple[float, CredentialsError] | None = None
        self._lock = asyncio.Lock()

    async def accounts(self) -> list[str]:
        """The configured ids, then the organization's (loaded on first use)."""
        if self._listed is not None and self._organization is None:
            await self._load()
        return list(dict.fromkeys([*self._ids, *(self._organization or [])]))

    async def contains(self, account: str) -> bool:
        if account in self._ids:
            return True
        if self._listed is None:
            return False
        if self._organization is None or (
            account not in self._organization and self._clock() - self._loaded_at >= self._refresh_s
        ):
            await self._load()
        return account in (self._organization or [])

    async def _load(self) -> None:
        assert self._listed is not None
        async with self._lock:
            if self._organization is not None and self._clock() - self._loaded_at < self._refresh_s:
                return
            if self._failed is not None and self._clock() < self._failed[0]:
                raise self._failed[1]
            try:
                found = await self._listed()
            except aws.AWS_ERRORS as e:
                error = CredentialsError(
                    SERVICE, aws.error_kind(e), f"ListAccounts: {aws.describe(e)}"
                )
                self._failed = (self._clock() + RETRY_FAILED_AFTER_S, error)
                raise error from e
            self._failed = None
            self._organization = found
            self._loaded_at = self._clock()
