"""HTTPS without a proxy: a real server on a certificate made for the test, and the start-up
checks of the certificate and key files."""

from __future__ import annotations

import ssl
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from pydantic import ValidationError

from eventstream.config import ServeSettings
from eventstream.errors import ConfigError
from eventstream.journal.keys import Keys
from eventstream.serve.tls import check_tls
from tests.serve.conftest import ServerFactory
from tests.serve.servers import ROOT, RedisServer
from tests.serve.sse_client import SSEStream


def _pair(folder: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, by the openssl command."""
    cert, key = folder / f"{name}.crt", folder / f"{name}.key"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("tls")
    return {name: _pair(folder, name) for name in ("server", "other")}


async def test_stream_and_api_over_tls_with_a_trusted_certificate(
    serve: ServerFactory, certificates: dict[str, tuple[Path, Path]]
) -> None:
    """With the certificate and key set, the server speaks HTTPS only: a client trusting the
    certificate gets /healthz and the SSE stream; one that does not trust it is refused."""
    cert, key = certificates["server"]
    server = serve(tls_cert_file=cert, tls_key_file=key)
    assert server.url.startswith("https://")
    trusting = ssl.create_default_context(cafile=str(cert))
    connector = aiohttp.TCPConnector(ssl=trusting)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.get(f"{server.url}/healthz") as response,
    ):
        assert response.status == 200
        assert (await response.json())["status"] == "ok"
    async with SSEStream(f"{server.url}/v1/events", ssl_context=trusting) as stream:
        assert stream.status == 200
        frames = await stream.collect(1, lambda frames: True, events_only=False)
        assert frames[0].retry == 3000
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await session.get(f"{server.url}/healthz")
        with pytest.raises(aiohttp.ClientError):  # plain HTTP to the HTTPS port
            await session.get(server.url.replace("https://", "http://") + "/healthz")


def test_certificate_and_key_are_checked_at_start_up(
    certificates: dict[str, tuple[Path, Path]], tmp_path: Path
) -> None:
    """A missing file, an unreadable one, a key of another certificate and a file that is not
    PEM are each a ConfigError naming the setting and the file."""
    cert, key = certificates["server"]
    _, other_key = certificates["other"]
    cases = [
        (tmp_path / "missing.crt", key, "tls_cert_file=.*missing.crt: no such file"),
        (cert, tmp_path, "tls_key_file=.*: cannot be read"),
        (cert, other_key, "tls_key_file=.*other.key is not the key of serve.tls_cert_file="),
        (cert, cert, "are not a PEM certificate chain and its private key"),
    ]
    for cert_file, key_file, message in cases:
        with pytest.raises(ConfigError, match=message):
            check_tls(ServeSettings(tls_cert_file=cert_file, tls_key_file=key_file))
    check_tls(ServeSettings(tls_cert_file=cert, tls_key_file=key))
    with pytest.raises(ValidationError, match="set both or neither"):
        ServeSettings(tls_cert_file=cert)


def test_serve_and_config_check_refuse_a_mismatched_pair(
    certificates: dict[str, tuple[Path, Path]],
    tmp_path: Path,
    redis_srv: RedisServer,
    keys: Keys,
) -> None:
    """`eventstream serve` with a key that is not its certificate's exits 2 at once, saying
    which files do not match; so does `eventstream config check`."""
    cert, _ = certificates["server"]
    _, other_key = certificates["other"]
    config = tmp_path / "serve.toml"
    config.write_text(f'[serve]\ntls_cert_file = "{cert}"\ntls_key_file = "{other_key}"\n')
    done = subprocess.run(
        [
            *(sys.executable, "-m", "eventstream", "serve", "--config", str(config)),
            *("--redis-url", redis_srv.url, "--prefix", keys.prefix, "--port", "0"),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 2, done.stderr
    assert "is not the key of serve.tls_cert_file=" in done.stderr + done.stdout
    checked = subprocess.run(
        [sys.executable, "-m", "eventstream", "config", "check", str(config)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert checked.returncode == 2
    assert "is not the key of serve.tls_cert_file=" in checked.stderr
