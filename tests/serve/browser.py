"""Headless Debian Chromium driven over the DevTools protocol (no downloaded browser)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from eventstream import codec

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError(
        "Debian's chromium is not installed: apt-get install chromium (scripts/test-deps.sh)"
    )


class Page:
    """One tab: evaluate JavaScript and read the value back."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.ids = itertools.count(1)

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        """One DevTools command; its result."""
        call_id = next(self.ids)
        message = {"id": call_id, "method": method, "params": params}
        await self.socket.send_str(codec.dumps(message).decode())
        while True:
            reply = codec.loads((await asyncio.wait_for(self.socket.receive(), 10)).data)
            if reply.get("id") == call_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    async def evaluate(self, expression: str) -> Any:
        params = {"expression": expression, "returnByValue": True, "awaitPromise": True}
        result = await self.call("Runtime.evaluate", params)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page error: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def screenshot(self) -> bytes:
        """The page as PNG (for a person to look at)."""
        result = await self.call("Page.captureScreenshot", {"format": "png"})
        return base64.b64decode(result["data"])


async def _devtools_port(profile: Path, process: asyncio.subprocess.Process) -> int:
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.returncode is not None:
            raise RuntimeError(f"chromium exited with {process.returncode}")
        if marker.exists():
            first = marker.read_text().split("\n", 1)[0].strip()
            if first.isdigit():
                return int(first)
        await asyncio.sleep(0.05)
    raise RuntimeError("chromium did not open its DevTools port")


@asynccontextmanager
async def open_page(url: str) -> AsyncIterator[Page]:
    """Chromium showing `url`, with a fresh profile, stopped afterwards."""
    with tempfile.TemporaryDirectory(prefix="es-chromium-", ignore_cleanup_errors=True) as folder:
        profile = Path(folder)
        process = await asyncio.create_subprocess_exec(
            chromium(),
            *FLAGS,
            f"--user-data-dir={profile}",
            url,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its helper processes share this group, stopped together
        )
        try:
            port = await _devtools_port(profile, process)
            async with aiohttp.ClientSession() as session:
                socket_url = await _page_socket(session, port, url)
                async with session.ws_connect(socket_url, max_msg_size=0) as socket:
                    yield Page(socket)
        finally:
            await _stop_group(process)


async def _page_socket(session: aiohttp.ClientSession, port: int, url: str) -> str:
    for _ in range(100):
        async with session.get(f"http://127.0.0.1:{port}/json/list") as response:
            targets = await response.json(content_type=None)
        page_url = url.split("?", maxsplit=1)[0]
        for target in targets:
            if target.get("type") == "page" and target.get("url", "").startswith(page_url):
                found: str = target["webSocketDebuggerUrl"]
                return found
        await asyncio.sleep(0.1)
    raise RuntimeError(f"no page target for {url}")


async def _stop_group(process: asyncio.subprocess.Process) -> None:
    """Stop the browser and the helpers it started (its own process group), without blocking
    the event loop while it exits."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            await asyncio.wait_for(process.wait(), 10)
            return
        except TimeoutError:
            continue
