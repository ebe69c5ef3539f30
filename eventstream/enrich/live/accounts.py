"""`Clients` for many accounts: the home account (the default credentials' own) through the
default chain, every other one through the role `[accounts] role_arn_template` names in it.

One aiobotocore client per (account, service, region), made from that account's assumed
session and kept until `close()`. When the session is renewed (see `roles`), the next
`client()` call makes a new client from the new session; the replaced one is kept open until
the renewal after (a session lives at least `renew_before_s` past the moment a client is handed
out, and no call lasts a renewal period), so at most two clients per key are ever open.

What a fetcher gets instead of a client (`outcome.ClientsError`): `AccountNotConfigured` for an
account outside the configured ids or the organization (reported `Skipped`), `AssumeRoleError`
when the role cannot be assumed and `CredentialsError` when STS or Organizations cannot be asked
(reported `Failed` and counted, never raised out of the fetcher).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eventstream.config.accounts import AccountsSettings
from eventstream.enrich.live.clients import DefaultClients
from eventstream.enrich.live.organizations import REGION as ORGANIZATIONS_REGION
from eventstream.enrich.live.organizations import AccountList, active_accounts
from eventstream.enrich.live.outcome import AccountNotConfigured, Clients, CredentialsError
from eventstream.enrich.live.roles import Assume, RoleSessions, StsAssume
from eventstream.sources import aws

_ACCOUNT_ID = re.compile(r"\d{12}")


@dataclass(slots=True)
class _Opened:
    generation: int
    client: Any
    stack: contextlib.AsyncExitStack


class AccountClients:
    """A `Clients` over many accounts (see the module's docstring)."""

    def __init__(
        self,
        settings: AccountsSettings,
        *,
        endpoint_url: str | None = None,
        max_attempts: int = 1,
        assume: Assume | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._endpoint_url = endpoint_url
        self._max_attempts = max_attempts
        self._sts = StsAssume(endpoint_url=settings.sts_endpoint())
        self._sessions = RoleSessions(
            assume or self._sts,
            settings,
            external_id=settings.resolved_external_id(),
            clock=clock,
        )
        self._home_clients = DefaultClients(endpoint_url, max_attempts=max_attempts)
        self._organization_clients = DefaultClients(settings.endpoint_url, max_attempts=3)
        listed = self._organization_accounts if settings.from_organizations else None
        self._list = AccountList(settings.ids, listed)
        self._restricted = bool(settings.ids) or settings.from_organizations
        self._home: str | None = None
        self._clients: dict[tuple[str, str, str], _Opened] = {}
        self._retired: dict[tuple[str, str, str], _Opened] = {}
        self._lock = asyncio.Lock()

    async def _organization_accounts(self) -> list[str]:
        client = await self._organization_clients.client(
            "organizations", account="", region=ORGANIZATIONS_REGION
        )
        return await active_accounts(client)

    async def home(self) -> str:
        """The default credentials' account (`GetCallerIdentity`, asked once)."""
        if self._home is None:
            try:
                self._home = await self._sts.caller_account()
            except aws.AWS_ERRORS as e:
                raise CredentialsError(
                    "sts", aws.error_kind(e), f"GetCallerIdentity: {aws.describe(e)}"
                ) from e
        return self._home

    async def accounts(self) -> list[str]:
        """Every account to read: the home account, the configured ids, the organization's."""
        return list(dict.fromkeys([await self.home(), *await self._list.accounts()]))

    async def client(self, service: str, *, account: str, region: str) -> Any:
        home = await self.home()
        if account in ("", home):
            return await self._home_clients.client(service, account=home, region=region)
        if not _ACCOUNT_ID.fullmatch(account) or (
            self._restricted and not await self._list.contains(account)
        ):
            raise AccountNotConfigured(account)
        held = await self._sessions.session(account)
        key = (account, service, region)
        opened = self._clients.get(key)
        if opened is not None and opened.generation == held.generation:
            return opened.client
        async with self._lock:
            opened = self._clients.get(key)
            if opened is not None and opened.generation == held.generation:
                return opened.client
            stack = contextlib.AsyncExitStack()
            made = await stack.enter_async_context(
                aws.client(
                    held.session,
                    service,
                    region=region,
                    endpoint_url=self._endpoint_url,
                    max_attempts=self._max_attempts,
                    read_timeout_s=20.0,
                )
            )
            if opened is not None:
                await self._retire(key, opened)
            self._clients[key] = _Opened(held.generation, made, stack)
            return made

    async def _retire(self, key: tuple[str, str, str], opened: _Opened) -> None:
        """Keep the replaced client open until the next renewal, closing the one before."""
        older = self._retired.pop(key, None)
        self._retired[key] = opened
        if older is not None:
            await older.stack.aclose()

    async def close(self) -> None:
        opened = [*self._clients.values(), *self._retired.values()]
        self._clients.clear()
        self._retired.clear()
        for one in opened:
            await one.stack.aclose()
        await self._home_clients.close()
        await self._organization_clients.close()
        await self._sts.close()


def live_clients(
    settings: AccountsSettings, endpoint_url: str | None, *, max_attempts: int = 1
) -> Clients:
    """The `Clients` the settings call for: `AccountClients` when `[accounts]` names a role
    template, else `DefaultClients` (one account, the default credentials' own)."""
    if settings.enabled:
        return AccountClients(settings, endpoint_url=endpoint_url, max_attempts=max_attempts)
    return DefaultClients(endpoint_url, max_attempts=max_attempts)
