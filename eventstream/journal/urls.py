"""URLs as EventStream shows them (Redis, webhook destinations): never with a password."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def safe_url(url: str) -> str:
    """`url` without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))


def hide_password(url: str) -> str:
    """`url` with whatever follows the user name in its user info masked, even when the URL
    cannot be parsed (a bad port, an unencoded `/` or `@` in the password): for the error
    that reports a bad URL."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    ends = [index for index in (rest.find("?"), rest.find("#")) if index >= 0]
    end = min(ends, default=len(rest))
    userinfo, at, tail = rest[:end].rpartition("@")
    user, colon, _ = userinfo.partition(":")
    if not at or not colon:
        return url
    return f"{scheme}://{user}:***@{tail}{rest[end:]}"
