"""Layering: the library below the server never imports the server or the commands, read from
the source with `ast` (nothing is imported)."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "eventstream"
LIBRARY = (
    "sources",
    "normalize",
    "enrich",
    "journal",
    "forward",
    "models",
    "config",
    "filters.py",
    "codec.py",
    "errors.py",
)
"""Parts of `eventstream` (packages or modules) that must not depend on the layers above;
`pipeline*` is added when present."""
ABOVE = ("eventstream.serve", "eventstream.commands")
CLIENT_FORBIDDEN = ("eventstream.serve", "redis", "starlette")


def _modules(*names: str) -> Iterator[Path]:
    for name in names:
        path = PACKAGE / name
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def _name_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Every module the file at `path` imports, as absolute names."""
    package = _name_of(path) if path.name == "__init__.py" else _name_of(path).rpartition(".")[0]
    return imported_by(path.read_text(), package)


def imported_by(source: str, package: str) -> set[str]:
    """Every module `source` (a module of `package`) imports, absolute: `from .. import serve`
    and `from eventstream import serve` both give `eventstream.serve` (an imported name may be
    a module, so `<module>.<name>` is listed too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(package, node.module, node.level)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _absolute(package: str, module: str | None, level: int) -> str:
    if level == 0:
        return module or ""
    parts = package.split(".")
    base = ".".join(parts[: len(parts) - (level - 1)])
    return f"{base}.{module}" if module else base


def _is_under(name: str, forbidden: tuple[str, ...]) -> bool:
    return any(name == bad or name.startswith(bad + ".") for bad in forbidden)


def _offenders(paths: Iterator[Path], forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in paths
        for name in sorted(imported(path))
        if _is_under(name, forbidden)
    ]


@pytest.mark.parametrize(
    "source",
    [
        "import eventstream.serve.app",
        "from eventstream.serve import app",
        "from eventstream import serve",
        "from .. import serve",
        "from ..serve.app import create_app",
        "from ..commands import token",
        "def f():\n    from eventstream.commands import serve",
    ],
)
def test_every_import_form_is_seen(source: str) -> None:
    """Absolute, relative, `from package import module` and nested imports are all caught."""
    found = imported_by(source, "eventstream.journal")
    assert any(_is_under(name, ABOVE) for name in found), found


def test_sibling_imports_are_not_offenders() -> None:
    """A relative import of a sibling resolves inside its own package."""
    found = imported_by("from . import keys\nfrom .streamid import parse", "eventstream.journal")
    assert found == {
        "eventstream.journal",
        "eventstream.journal.keys",
        "eventstream.journal.streamid",
        "eventstream.journal.streamid.parse",
    }


def test_library_does_not_import_the_server_or_commands() -> None:
    """Nothing below the server imports `eventstream.serve` or `eventstream.commands`."""
    pipeline = sorted(path.name for path in PACKAGE.glob("pipeline*"))
    paths = list(_modules(*LIBRARY, *pipeline))
    assert len(paths) > 20, "the layer list must find the library's modules"
    offenders = _offenders(iter(paths), ABOVE)
    assert not offenders, "the library imports a layer above it:\n" + "\n".join(offenders)


def test_client_does_not_import_the_server() -> None:
    """`eventstream.client` runs without the server, Redis or Starlette."""
    paths = list(_modules("client"))
    assert len(paths) > 5, "the client's modules must be found"
    offenders = _offenders(iter(paths), CLIENT_FORBIDDEN)
    assert not offenders, "the client imports the server side:\n" + "\n".join(offenders)


def test_importing_the_client_loads_no_server_module() -> None:
    """In a fresh interpreter, `import eventstream.client` loads no server, Redis, Starlette,
    sse-starlette or uvicorn module (the check above reads the source; this one runs it)."""
    probe = (
        "import sys, eventstream.client\n"
        "bad = ('eventstream.serve', 'redis', 'starlette', 'sse_starlette', 'uvicorn')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in bad or m.startswith(bad)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


def test_client_all_is_complete_and_sorted() -> None:
    """`eventstream.client.__all__` is sorted and names every public name it imports."""
    from eventstream import client  # noqa: PLC0415

    public = {name for name in vars(client) if not name.startswith("_")}
    modules = {"backoff", "checkpoint", "client", "events", "http", "sse", "stream", "sync"}
    modules.add("summary")
    assert client.__all__ == sorted(client.__all__)
    assert set(client.__all__) == public - modules
