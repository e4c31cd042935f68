"""A throwaway copy of the project's site setup, for tests, timings and benchmarks."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

from generator.render import GENERATED_ROOTS
from generator.write import MANIFEST

REPO = Path(__file__).resolve().parent.parent


def command_env() -> dict[str, str]:
    """The environment for running the generator and MkDocs from a copy: this repository
    importable, and MkDocs' banner about its successor silenced."""
    return dict(os.environ, PYTHONPATH=str(REPO), NO_MKDOCS_2_WARNING="1")


def copy_site_setup(root: Path, digests: bool = False) -> Path:
    """Copy mkdocs.yml, taxonomy.yaml, the theme overrides and hand-written pages into `root`.

    Whatever a local build generated in site_src/ stays behind; with `digests`, the
    repository's digests come along too.
    """
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copy(REPO / "taxonomy.yaml", root / "taxonomy.yaml")
    shutil.copytree(REPO / "overrides", root / "overrides")
    generated = GENERATED_ROOTS | {MANIFEST}
    shutil.copytree(
        REPO / "site_src",
        root / "site_src",
        ignore=lambda folder, names: [n for n in names if Path(folder) == REPO / "site_src" and n in generated],
    )
    if digests:
        shutil.copytree(REPO / "digests", root / "digests")
    return root


# Debian's Chromium, with the flags a closed network and a root user need.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve a folder over HTTP on a free local port; yield its URL."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
