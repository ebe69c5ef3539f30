"""The one filter grammar: which asset events a request, a token's scope, a webhook
destination or a client wants.

A filter is a set of `key=value` conditions (the SSE and REST query parameters, or the same
text in a token's `filter`). Within one key the values are alternatives (`type=create,delete`),
across keys all must hold; `asset_type` and `principal` take globs (`AWS::EC2::*`). Parsing
fails closed: an unknown key, a missing `=`, an empty value, a control character or a bad glob
is a `FilterError`, never a filter that lets everything through.

Each event is parsed once into a small `Meta`; every `EventFilter` then tests that `Meta`,
never the JSON.

Accounts: an event *belongs to* the account whose trail recorded it (`owner`: the record's
`recipientAccountId`, else the caller's account, else the asset's), which is what token scopes
test (`owners`). The `account=` filter asks for the events that involve an account: recorded by
it, or about one of its assets.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from eventstream.errors import FilterError
from eventstream.models.event import Action, Method

__all__ = [
    "GRAMMARS",
    "MAX_VALUE_CHARS",
    "PARAMETERS",
    "EventFilter",
    "FilterError",
    "Meta",
    "account_filter",
    "meta_of",
    "owner_filter",
    "parse_filter",
    "parse_filter_text",
]

PARAMETERS = ("type", "asset_type", "account", "region", "method", "principal", "subject_prefix")
"""Query parameters understood as filters, on SSE and on the REST lists."""

_ACTIONS = frozenset(action.value for action in Action)
_METHODS = frozenset(method.value for method in Method)
MAX_VALUE_CHARS = 2048
"""The longest value one filter parameter may have (its comma-separated list included)."""

# The grammar of a filter parameter's value, as regular expressions that mean the same in
# Python and in JSON Schema (ECMA-262), so `/openapi.json` states exactly what is accepted: a
# comma-separated list of items, each with a character that is not a space (spaces around an
# item are dropped), no control characters; a glob's `[` must be closed before the item ends
# (fnmatch would silently take an unclosed one as a literal).
_OUTSIDE = r"\x00-\x1f\x7f"
ITEM = rf"[^,{_OUTSIDE}]*[^ ,{_OUTSIDE}][^,{_OUTSIDE}]*"
GLOB_ITEM = (
    rf"(?:[^,\[{_OUTSIDE}]*[^ ,\[{_OUTSIDE}][^,\[{_OUTSIDE}]*"
    rf"|[^,{_OUTSIDE}]*\[[^,\[{_OUTSIDE}]*\][^,\[{_OUTSIDE}]*)"
)


def list_of(item: str) -> str:
    """The grammar of a comma-separated list of `item`s."""
    return f"{item}(?:,{item})*"


def choices_of(values: Iterable[str]) -> str:
    """The grammar of a list of some of `values` (spaces around each allowed)."""
    return list_of(" *(?:" + "|".join(sorted(values)) + ") *")


GRAMMARS: dict[str, str] = {
    "type": choices_of(_ACTIONS),
    "asset_type": list_of(GLOB_ITEM),
    "account": list_of(ITEM),
    "region": list_of(ITEM),
    "method": choices_of(_METHODS),
    "principal": list_of(GLOB_ITEM),
    "subject_prefix": list_of(ITEM),
}
# The server reads a choice as a list of items and then names an unknown one: it accepts
# exactly what `choices_of` describes, with a clearer error.
_GRAMMARS = {
    name: re.compile(list_of(ITEM) if name in ("type", "method") else pattern)
    for name, pattern in GRAMMARS.items()
}
_GRAMMAR_ERRORS = {
    "asset_type": "empty value in the list, or an unclosed '[' in a glob",
    "principal": "empty value in the list, or an unclosed '[' in a glob",
}


@dataclass(frozen=True, slots=True)
class Meta:
    """What filters look at in one asset event."""

    action: str
    asset_type: str
    account: str
    region: str
    method: str
    principals: tuple[str, ...]
    subject: str
    owner: str = ""  # the account whose trail recorded the event ("" : the asset's account)


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _owner(data: Mapping[str, Any], principal: Mapping[str, Any], account: str) -> str:
    raw = data.get("raw")
    recipient = raw.get("recipientAccountId") if isinstance(raw, Mapping) else None
    return str(recipient or principal.get("account") or account)


def meta_of(event: Mapping[str, Any]) -> Meta:
    """The filterable fields of a parsed `AssetEvent` (lenient: a missing part, or one of the
    wrong JSON type, becomes "": a journal entry written by another tool never raises here)."""
    data = _object(event.get("data"))
    asset = _object(data.get("asset"))
    change = _object(data.get("change"))
    attribution = _object(data.get("attribution"))
    principal = _object(attribution.get("principal"))
    who = (
        principal.get("arn"),
        principal.get("name"),
        principal.get("id"),
        attribution.get("assumed_role"),
        attribution.get("session_name"),
    )
    account = str(asset.get("account") or "")
    return Meta(
        action=str(change.get("action") or str(event.get("type", "")).rpartition(".")[2]),
        asset_type=str(asset.get("type") or ""),
        account=account,
        region=str(asset.get("region") or ""),
        method=str(attribution.get("method") or ""),
        principals=tuple(str(value) for value in who if value),
        subject=str(event.get("subject") or ""),
        owner=_owner(data, principal, account),
    )


_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


def _glob(patterns: Iterable[str]) -> re.Pattern[str] | None:
    parts = [fnmatch.translate(pattern) for pattern in patterns]
    return re.compile("|".join(f"(?:{part})" for part in parts)) if parts else None


@dataclass(frozen=True, slots=True)
class EventFilter:
    """A conjunction of optional conditions; an empty filter matches every event. `accounts`
    passes an event that involves one of them (its owner or its asset's account), `owners` one
    that belongs to one of them."""

    actions: frozenset[str] | None = None
    asset_type: re.Pattern[str] | None = None
    accounts: frozenset[str] | None = None
    regions: frozenset[str] | None = None
    methods: frozenset[str] | None = None
    principal: re.Pattern[str] | None = None
    subject_prefixes: tuple[str, ...] | None = None
    owners: frozenset[str] | None = None
    parts: tuple[EventFilter, ...] = field(default=())
    principal_owners: frozenset[str] | None = None
    """With `principal`: only events that these accounts own can pass it (an event shown to
    a token of another account is redacted: its caller's identity is not there to match)."""

    def matches(self, meta: Meta) -> bool:
        if self.actions is not None and meta.action not in self.actions:
            return False
        if (
            self.accounts is not None
            and meta.account not in self.accounts
            and (meta.owner or meta.account) not in self.accounts
        ):
            return False
        if self.owners is not None and (meta.owner or meta.account) not in self.owners:
            return False
        if self.regions is not None and meta.region not in self.regions:
            return False
        if self.methods is not None and meta.method not in self.methods:
            return False
        if self.asset_type is not None and not self.asset_type.match(meta.asset_type):
            return False
        if self.principal is not None and (
            (
                self.principal_owners is not None
                and (meta.owner or meta.account) not in self.principal_owners
            )
            or not any(self.principal.match(who) for who in meta.principals)
        ):
            return False
        if self.subject_prefixes is not None and not meta.subject.startswith(self.subject_prefixes):
            return False
        return all(part.matches(meta) for part in self.parts)

    def matches_everything(self) -> bool:
        """Whether this filter passes every event (no condition at all), so callers can skip it."""
        return (
            self.actions is None
            and self.asset_type is None
            and self.accounts is None
            and self.regions is None
            and self.methods is None
            and self.principal is None
            and self.subject_prefixes is None
            and self.owners is None
            and all(part.matches_everything() for part in self.parts)
        )

    def allows_account(self, account: str) -> bool:
        """Whether some event of `account` could pass (for 403 on explicit requests)."""
        for allowed in (self.accounts, self.owners):
            if allowed is not None and account not in allowed:
                return False
        return all(part.allows_account(account) for part in self.parts)

    def both(self, other: EventFilter) -> EventFilter:
        """A filter that requires this one and `other`."""
        return EventFilter(parts=(self, other))


def _values(params: Mapping[str, list[str]], name: str) -> list[str] | None:
    raw = params.get(name)
    if not raw:
        return None
    grammar = _GRAMMARS[name]
    values: list[str] = []
    for text in raw:
        if len(text) > MAX_VALUE_CHARS:
            raise FilterError(name, f"longer than {MAX_VALUE_CHARS} characters")
        if _CONTROL_CHARS.search(text):
            raise FilterError(name, f"control character in {text[:80]!r}")
        if not grammar.fullmatch(text):
            raise FilterError(name, _GRAMMAR_ERRORS.get(name, "empty value in the list"))
        values += [item.strip(" ") for item in text.split(",")]
    return values


def _choice(
    params: Mapping[str, list[str]], name: str, allowed: frozenset[str]
) -> frozenset[str] | None:
    values = _values(params, name)
    if values is None:
        return None
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise FilterError(name, f"unknown value {unknown[0]!r}; expected one of {sorted(allowed)}")
    return frozenset(values)


def parse_filter(params: Mapping[str, list[str]]) -> EventFilter:
    """A filter from query parameters (name → every value given); raises `FilterError`."""
    asset_types = _values(params, "asset_type")
    principals = _values(params, "principal")
    accounts = _values(params, "account")
    regions = _values(params, "region")
    prefixes = _values(params, "subject_prefix")
    return EventFilter(
        actions=_choice(params, "type", _ACTIONS),
        asset_type=_glob(asset_types) if asset_types else None,
        accounts=frozenset(accounts) if accounts else None,
        regions=frozenset(regions) if regions else None,
        methods=_choice(params, "method", _METHODS),
        principal=_glob(principals) if principals else None,
        subject_prefixes=tuple(prefixes) if prefixes else None,
    )


def account_filter(accounts: Iterable[str]) -> EventFilter:
    """A filter that passes the events that involve these accounts (as owner or asset's)."""
    return EventFilter(accounts=frozenset(accounts))


def owner_filter(accounts: Iterable[str]) -> EventFilter:
    """A filter that passes only the events that belong to (were recorded by) these accounts."""
    return EventFilter(owners=frozenset(accounts))


def parse_filter_text(text: str) -> EventFilter:
    """A filter from `key=value&key=value` text (a token's or a destination's `filter`); an
    empty text is the filter that passes everything. Raises `FilterError` for an unknown key,
    a part without `=`, an empty value, a control character or a bad glob."""
    params: dict[str, list[str]] = {}
    for part in text.split("&"):
        if not part.strip():
            if text.strip():
                raise FilterError("filter", f"empty condition in {text!r}")
            continue
        key, equals, value = part.partition("=")
        key = unquote_plus(key).strip()
        if not equals:
            raise FilterError(key or "filter", f"expected key=value, got {part!r}")
        if key not in PARAMETERS:
            raise FilterError(key, f"unknown filter key; expected one of {list(PARAMETERS)}")
        value = unquote_plus(value)
        if not value.strip():
            raise FilterError(key, "empty value")
        if _CONTROL_CHARS.search(value):
            raise FilterError(key, f"control character in {value!r}")
        params.setdefault(key, []).append(value)
    return parse_filter(params)
