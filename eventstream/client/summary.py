"""One-line descriptions of asset events, for terminals (`eventstream tail`) and alerts.

`patch_summary` says briefly what changed: the security group rules a call adds or removes
(`+ingress 0.0.0.0/0:22`), else the paths of the JSON Patch (`~/Policy`, `+/Tags/2`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventstream.client.events import StreamEvent

__all__ = ["Rule", "event_line", "patch_summary", "rules_of"]

_RULE_CALLS = {
    "AuthorizeSecurityGroupIngress": ("+", "ingress"),
    "AuthorizeSecurityGroupEgress": ("+", "egress"),
    "RevokeSecurityGroupIngress": ("-", "ingress"),
    "RevokeSecurityGroupEgress": ("-", "egress"),
}
_MAX_PATHS = 3
_OPS = {"add": "+", "remove": "-", "replace": "~", "move": ">", "copy": "=", "test": "?"}
_COLORS = {"create": "32", "update": "33", "delete": "31"}  # green, yellow, red
_DIM, _BOLD, _RESET = "\x1b[2m", "\x1b[1m", "\x1b[0m"


@dataclass(frozen=True, slots=True)
class Rule:
    """One security group rule a call adds (`sign` +) or removes (-)."""

    sign: str
    direction: str  # ingress or egress
    cidr: str
    protocol: str
    ports: str  # "22", "1000-2000", or "all"

    def __str__(self) -> str:
        return f"{self.sign}{self.direction} {self.cidr}:{self.ports}"


def _items(value: Any) -> list[Any]:
    if isinstance(value, dict):
        value = value.get("items", [])
    return value if isinstance(value, list) else []


def _ports(permission: dict[str, Any]) -> str:
    low, high = permission.get("fromPort"), permission.get("toPort")
    if str(permission.get("ipProtocol")) == "-1" or low is None or low == -1:
        return "all"
    return str(low) if low == high or high is None else f"{low}-{high}"


def rules_of(event: StreamEvent) -> list[Rule]:
    """The rules an Authorize/RevokeSecurityGroupIngress/Egress call names (IPv4 and IPv6)."""
    call = _RULE_CALLS.get(event.change.operation)
    params = event.raw.get("requestParameters")
    if call is None or not isinstance(params, dict):
        return []
    sign, direction = call
    rules = []
    for permission in _items(params.get("ipPermissions")):
        if not isinstance(permission, dict):
            continue
        ranges = [
            r.get("cidrIp") for r in _items(permission.get("ipRanges")) if isinstance(r, dict)
        ]
        ranges += [
            r.get("cidrIpv6") for r in _items(permission.get("ipv6Ranges")) if isinstance(r, dict)
        ]
        protocol = str(permission.get("ipProtocol", ""))
        for cidr in ranges:
            if cidr:
                rules.append(Rule(sign, direction, str(cidr), protocol, _ports(permission)))
    if not rules and params.get("cidrIp"):  # the older flat form of the call
        rules.append(Rule(sign, direction, str(params["cidrIp"]), "", _ports(params)))
    return rules


def patch_summary(event: StreamEvent) -> str:
    """A short text of what changed ("" when nothing is known)."""
    rules = rules_of(event)
    if rules:
        return " ".join(str(rule) for rule in rules)
    changes = event.changes or []
    parts = [f"{_OPS.get(op.op, op.op)}{op.path}" for op in changes[:_MAX_PATHS]]
    if len(changes) > _MAX_PATHS:
        parts.append(f"(+{len(changes) - _MAX_PATHS} more)")
    return " ".join(parts)


def event_line(event: StreamEvent, *, color: bool = False) -> str:
    """time, action, asset type and name, method, principal, IP, and the patch summary."""
    attribution = event.attribution
    principal = attribution.principal
    who = principal.name or principal.arn or principal.id or principal.type or "-"
    action = event.action.value
    fields = [
        event.time,
        f"{action:<6}",
        event.asset.type,
        event.subject,
        attribution.method.value,
        who,
        attribution.ip or "-",
    ]
    summary = patch_summary(event)
    if color:
        fields[0] = f"{_DIM}{fields[0]}{_RESET}"
        fields[1] = f"\x1b[{_COLORS.get(action, '0')}m{fields[1]}{_RESET}"
        fields[3] = f"{_BOLD}{fields[3]}{_RESET}"
        summary = f"\x1b[36m{summary}{_RESET}" if summary else summary
    return " ".join([*fields, summary]).rstrip()
