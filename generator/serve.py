"""Preview: regenerate the pages when a digest, the taxonomy or the site config changes, and serve them.

`mkdocs serve` does the serving and the live reload: it rebuilds whenever a file in the docs
folder changes, and the browser reloads. This module adds what MkDocs cannot see: it polls the
generator's own inputs (polling needs nothing installed and works on every file system) and
regenerates the pages when they change, which `mkdocs serve` then picks up. A regeneration
that fails writes nothing, so the last good pages stay served.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from generator.urls import REGISTRY_NAME

Snapshot = dict[str, tuple[int, int]]


@dataclass(frozen=True)
class Inputs:
    """What the generator reads: the digests folder (its registry aside), the taxonomy, the config."""

    digests: Path
    taxonomy: Path
    config: Path

    def snapshot(self) -> Snapshot:
        """Every input file with its size and modification time; missing ones are left out."""
        paths = [self.taxonomy, self.config]
        if self.digests.is_dir():
            paths += [
                path
                for path in self.digests.rglob("*")
                # The registry is written by the generator itself; dotfiles are editors' temporaries.
                if not any(part.startswith(".") for part in path.relative_to(self.digests).parts)
                and path.relative_to(self.digests).as_posix() != REGISTRY_NAME
            ]
        found: Snapshot = {}
        for path in paths:
            try:
                stat = path.stat()
            except (FileNotFoundError, NotADirectoryError):
                continue
            if path.is_file():
                found[str(path)] = (stat.st_size, stat.st_mtime_ns)
        return found


class Watcher:
    """Calls `rebuild` once the inputs have changed and then stayed the same for one poll.

    Waiting for one quiet poll means a digest still being copied in is read once, complete.
    """

    def __init__(self, inputs: Inputs, rebuild: Callable[[], None]) -> None:
        self.inputs = inputs
        self.rebuild = rebuild
        self.seen = inputs.snapshot()
        self.pending: Snapshot | None = None

    def poll(self) -> bool:
        """Look at the inputs once; True if this poll ran a rebuild."""
        now = self.inputs.snapshot()
        if now == self.seen:
            self.pending = None
            return False
        if now != self.pending:
            self.pending = now  # changed: wait one more poll for it to settle
            return False
        self.seen, self.pending = now, None
        self.rebuild()
        return True

    def run(self, stop: threading.Event, interval: float = 0.5) -> None:
        """Poll every `interval` seconds until `stop` is set."""
        while not stop.wait(interval):
            self.poll()


def mkdocs_serve(config: Path, dev_addr: str) -> subprocess.Popen[bytes]:
    """Start `mkdocs serve` (live reload on) in a child process.

    `--dirty` rebuilds only the pages whose files changed: the generator rewrites exactly the
    pages a new digest changes, and no paper page is in the navigation MkDocs would leave stale.
    """
    command = [sys.executable, "-m", "mkdocs", "serve", "--dirty", "--config-file", str(config), "--dev-addr", dev_addr]
    return subprocess.Popen(command)


def _stop(signum: int, frame: object) -> None:
    """Turn a termination signal into an exit that runs the clean-up (a plain SIGTERM would not)."""
    raise SystemExit(128 + signum)


def serve(inputs: Inputs, rebuild: Callable[[], None], dev_addr: str, interval: float = 0.5) -> int:
    """Serve with live reload, regenerating on input changes, until MkDocs stops or Ctrl-C; its exit code.

    However it stops (Ctrl-C, SIGTERM, SIGHUP), the `mkdocs serve` it started stops with it.
    """
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop)
    server = mkdocs_serve(inputs.config, dev_addr)
    stop = threading.Event()
    watcher = Watcher(inputs, rebuild)
    thread = threading.Thread(target=watcher.run, args=(stop, interval), daemon=True)
    thread.start()
    try:
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop.set()
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        thread.join(timeout=30)
