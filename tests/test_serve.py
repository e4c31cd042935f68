"""The preview: a new digest is regenerated into pages while serving; a broken one changes nothing."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import Project
from sandbox import command_env

from generator.errors import GeneratorError
from generator.pipeline import build
from generator.serve import Inputs, Watcher


def inputs(project: Project) -> Inputs:
    return Inputs(project.digests, project.root / "taxonomy.yaml", project.root / "mkdocs.yml")


def wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_watcher_rebuilds_once_a_change_has_settled(project: Project) -> None:
    project.write_digest("2025-01-01.txt", "A Paper\nAbout apples.\n")
    calls: list[int] = []
    watcher = Watcher(inputs(project), lambda: calls.append(1))
    assert not watcher.poll() and calls == []
    project.write_digest("2025-01-02.txt", "Another Paper\nAbout pears.\n")
    assert not watcher.poll()  # changed: wait for it to settle
    assert watcher.poll() and calls == [1]
    assert not watcher.poll() and calls == [1]
    # The registry is the generator's own output, and dotfiles are editors' temporaries.
    (project.digests / "urls.tsv").write_text("# nothing\n", encoding="utf-8")
    (project.digests / ".2025-01-03.txt.swp").write_text("x", encoding="utf-8")
    assert not watcher.poll() and not watcher.poll() and calls == [1]
    # The taxonomy and the config are inputs too.
    with (project.root / "taxonomy.yaml").open("a", encoding="utf-8") as stream:
        stream.write("\n")
    assert not watcher.poll() and watcher.poll() and calls == [1, 1]


def test_watch_loop_regenerates_pages_and_survives_a_broken_digest(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project.root)  # the generator's paths are relative, as when a person runs it
    project.write_digest("2025-01-01.txt", "A Paper\nAbout apples.\n")
    errors: list[str] = []
    built: list[int] = []  # one per finished build: files are compared only between builds

    def regenerate() -> None:
        try:
            build(Path("digests"), Path("site_src"), cache_dir=Path(".cache"))
            built.append(1)
        except GeneratorError as err:
            errors.append(err.location_message())

    regenerate()
    stop = threading.Event()
    watcher = Watcher(inputs(project), regenerate)
    thread = threading.Thread(target=watcher.run, args=(stop, 0.05), daemon=True)
    thread.start()
    try:
        project.write_digest("2025-01-02.txt", "Dropped In\nA new digest arrives.\n")
        wait_for(lambda: len(built) >= 2)
        wait_for(lambda: (project.docs / "papers" / "dropped-in.md").is_file())
        home = project.docs / "index.md"
        wait_for(lambda: "Dropped In" in home.read_text(encoding="utf-8"))
        before = {p: p.read_bytes() for p in project.docs.rglob("*") if p.is_file()}
        project.write_digest("2025-01-03.txt", "Title without abstract\n")
        wait_for(lambda: bool(errors))
        assert errors == ["digests/2025-01-03.txt:1: title without abstract (titles and abstracts must alternate)"]
        assert {p: p.read_bytes() for p in project.docs.rglob("*") if p.is_file()} == before
        project.write_digest("2025-01-03.txt", "Fixed Title\nNow with an abstract.\n")
        wait_for(lambda: (project.docs / "papers" / "fixed-title.md").is_file())
    finally:
        stop.set()
        thread.join(timeout=30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(url: str) -> str | None:
    """A page's text, or None while the server is not up or the page not there."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode("utf-8"))
    except OSError:
        return None


@contextlib.contextmanager
def serving(project: Project, port: int) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=project.root,
        env=command_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_serve_shows_a_dropped_digest_in_the_served_site(project: Project) -> None:
    """`python -m generator serve` on a tiny project, as a person runs it: a new digest shows up."""
    project.write_digest("2025-01-01.txt", "A Paper\nAbout apples.\n")
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    with serving(project, port) as process:
        wait_for(lambda: "A Paper" in (fetch(base) or "") or process.poll() is not None, 120)
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        project.write_digest("2025-01-02.txt", "Fresh Off The Press\nA digest dropped while serving.\n")
        wait_for(lambda: "Fresh Off The Press" in (fetch(base + "papers/fresh-off-the-press/") or ""), 120)
        assert "Fresh Off The Press" in (fetch(base) or "")
    # Stopped with SIGTERM, it stops its `mkdocs serve` too: nothing is left on the port.
    assert process.returncode is not None
    wait_for(lambda: fetch(base) is None, 20)
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # closed connections may linger
        sock.bind(("127.0.0.1", port))  # fails while a server still listens there
