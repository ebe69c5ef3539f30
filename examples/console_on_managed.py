"""Alert on console-made changes to assets managed by Terraform or CloudFormation.

An asset is managed when its creation or one of its recent changes came from Terraform or
CloudFormation (seen in the stream, or in its history over REST the first time it shows up),
or when it carries the tags those tools set (`aws:cloudformation:stack-name`, a `ManagedBy` /
`managed-by` / `terraform` tag naming Terraform): in the change itself (its configuration
before or after), in an earlier change seen in the stream, or in a version of its history.

    python examples/console_on_managed.py http://127.0.0.1:8080 [--from earliest] [--limit N]
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterator
from typing import Any

from eventstream.client import EventStreamClient, NotFoundError, StreamEvent

TOOLS = {"terraform", "cloudformation"}
_MANAGED_KEYS = {"managedby", "managed-by", "managed_by", "terraform", "provisioner"}


def _tags(value: Any, depth: int = 0) -> Iterator[tuple[str, str]]:
    """Every `{key/Key, value/Value}` pair (and `tags` maps) found in a document."""
    if depth > 8:
        return
    if isinstance(value, dict):
        key = value.get("key", value.get("Key"))
        if isinstance(key, str):
            yield key, str(value.get("value", value.get("Value", "")))
        for name, inner in value.items():
            if name.lower() == "tags" and isinstance(inner, dict) and "items" not in inner:
                yield from ((str(k), str(v)) for k, v in inner.items())
            yield from _tags(inner, depth + 1)
    elif isinstance(value, list):
        for inner in value:
            yield from _tags(inner, depth + 1)


def tool_of_tags(*documents: Any) -> str | None:
    for document in documents:
        for key, value in _tags(document):
            if key.startswith("aws:cloudformation:"):
                return "cloudformation"
            if key.lower() in _MANAGED_KEYS and "terraform" in (value.lower() or "terraform"):
                return "terraform"
    return None


class ManagedAssets:
    """Which tool manages each asset, learned from the stream and from history."""

    def __init__(self, client: EventStreamClient) -> None:
        self.client = client
        self.tools: dict[str, str] = {}
        self.asked: set[str] = set()

    def learn(self, event: StreamEvent) -> None:
        method = event.attribution.method.value
        tool = method if method in TOOLS else None
        tool = tool or tool_of_tags(
            event.configuration, event.previous_configuration, event.raw.get("requestParameters")
        )
        if tool:
            self.tools[event.subject] = tool

    async def tool(self, name: str) -> str | None:
        if name not in self.tools and name not in self.asked:
            self.asked.add(name)
            try:
                history = await self.client.history(name)
            except NotFoundError:
                history = []
            for version in history:
                method = ((version.get("event") or {}).get("data") or {}).get("attribution", {})
                tool = method.get("method") if method.get("method") in TOOLS else None
                tool = tool or tool_of_tags(version.get("configuration"))
                if tool:
                    self.tools[name] = str(tool)
                    break
        return self.tools.get(name)


async def watch(url: str, token: str | None, start: str | None, limit: int) -> None:
    async with EventStreamClient(url, token=token) as client:
        managed = ManagedAssets(client)
        count = 0
        async for event in client.events(start=start):
            count += 1
            managed.learn(event)  # first: the tags the asset carries count for this change
            if event.attribution.method.value == "console":
                tool = await managed.tool(event.subject)
                if tool:
                    who = event.attribution.principal.arn or event.attribution.principal.name
                    print(
                        f"ALERT {event.time} console {event.change.operation} on "
                        f"{tool}-managed {event.subject} by {who}",
                        flush=True,
                    )
            if count == limit:
                break


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--token")
    parser.add_argument("--from", dest="start")
    parser.add_argument("--limit", type=int, default=0, help="stop after N events (0: never)")
    args = parser.parse_args()
    asyncio.run(watch(args.url, args.token, args.start, args.limit))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
