"""A second, independent client: the npm `eventsource` package, with the browser's checks."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from eventstream import codec
from tests.serve.conftest import Journal, ServerFactory

# The first test here may run `npm ci` (bounded at 300 s) in its session fixture.
pytestmark = pytest.mark.timeout(330)

JS = Path(__file__).resolve().parent / "js"
_TOTAL = 150


@pytest.fixture(scope="session")
def node_client() -> Path:
    """`npm ci` once (the committed lock pins the package), then the consumer script."""
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise RuntimeError("node and npm are needed for the eventsource client tests")
    if not (JS / "node_modules" / "eventsource").is_dir():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=JS,
            check=True,
            timeout=300,
            capture_output=True,
        )
    return JS / "consume.mjs"


async def test_npm_eventsource_reconnects_without_gap_or_duplicate(
    serve: ServerFactory, journal: Journal, sample_events: list[dict[str, Any]], node_client: Path
) -> None:
    """The package sees every journal id exactly once across server-side closes."""
    server = serve(stream_max_s=1.0, retry_ms=100)
    journal.append(sample_events[:20])
    process = await asyncio.create_subprocess_exec(
        "node",
        str(node_client),
        f"{server.url}/v1/events?from=earliest",
        str(_TOTAL),
        "30000",
        stdout=asyncio.subprocess.PIPE,
    )
    with journal.paced(sample_events, 20, _TOTAL):
        out, _ = await asyncio.wait_for(process.communicate(), 40)
    result = codec.loads(out)
    assert result["reason"] == "done"
    assert result["received"] == journal.ids()
    assert result["opens"] >= 3
    assert "stream_lifetime" in result["closes"]
    assert result["resets"] == []
