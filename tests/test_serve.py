"""The preview is `mkdocs serve` with the papers-archive plugin, run as a person runs it.

A digest dropped into digests/ while serving is generated into pages and served; a broken one
logs its one-line error and the last good pages stay; the generator's own writes never start
another rebuild; the taxonomy and the hand-written pages are watched too; stopping the server
frees its port.

One server serves the tests that watch it (each waits for its own rebuilds, so they can run in
any order, or alone); the last test starts and stops one of its own.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import Project, make_project
from sandbox import command_env

BROKEN = "digests/2025-01-03.txt:1: title without abstract (titles and abstracts must alternate)"
REBUILD = "Building documentation..."  # MkDocs logs it once per build, and nothing else does
RELOADED = "Reloading browsers"  # once per rebuild that finished without raising
FAILED = "An error happened during the rebuild"  # once per rebuild that raised
SETTLE = 2.0  # seconds to watch for further rebuilds: the watcher polls every 0.5 s

# One topic, shown however few papers it has: "About apples." is on it.
TAXONOMY = """\
settings:
  threshold: 1
  min_papers: 1
tags:
  - name: Fruit
    description: Papers about fruit.
    words: [apples, pears]
"""


def wait_for(condition: Callable[[], bool], seconds: float = 60, what: Callable[[], str] = lambda: "") -> None:
    """Poll `condition` every 0.1 s; fail after `seconds`, saying `what()`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out\n{what()}"
        time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(url: str) -> str | None:
    """A page's text, or None while the server is not up or the page not there."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return str(response.read().decode("utf-8"))
    except OSError:
        return None


def without_livereload(html: str | None) -> str | None:
    """A served page without the script `mkdocs serve` injects (it names the build's time)."""
    if html is None:
        return None
    return re.sub(r"<script>\s*var livereload = function.*?</script>", "", html, flags=re.S)


def drop(project: Project, path: Path, text: str) -> None:
    """Write a file the way a finished download lands: whole, at once (staged in the project's
    folder, which is not watched, then renamed), so the watcher never sees it half written."""
    staged = project.root / f".{path.name}.staged"
    staged.write_text(text, encoding="utf-8")
    os.replace(staged, path)


def files(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under a folder, with its bytes and modification time."""
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@dataclass
class Server:
    """A running `mkdocs serve` and everything it has printed so far, a line per item."""

    project: Project
    port: int
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def page(self, path: str = "") -> str | None:
        return fetch(self.url + path)

    def mark(self) -> int:
        """Where the output is now: count what follows with `since`."""
        return len(self.lines)

    def since(self, mark: int) -> list[str]:
        return self.lines[mark:]

    def count(self, text: str, mark: int) -> int:
        return sum(text in line for line in self.since(mark))

    def output(self) -> str:
        return "server output:\n" + "\n".join(self.lines)

    def wait_for(self, condition: Callable[[], bool], seconds: float = 120) -> None:
        wait_for(condition, seconds, self.output)

    def wait_rebuilt(self, mark: int, times: int = 1) -> None:
        """Wait until `times` rebuilds have finished (or failed) since `mark`."""
        self.wait_for(lambda: self.count(RELOADED, mark) + self.count(FAILED, mark) >= times)


@contextlib.contextmanager
def serving(project: Project, tmp: Path) -> Iterator[Server]:
    """`python -m mkdocs serve` in the project on a free port, once it serves and watches."""
    port = free_port()
    tmp.mkdir(parents=True, exist_ok=True)
    # MkDocs builds into a temporary folder, which a SIGTERM leaves behind: keep it in tmp.
    env = dict(command_env(), TMPDIR=str(tmp), PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=project.root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
    )
    server = Server(project, port, process)

    def read() -> None:  # a thread drains the pipe, so the server never blocks on a full one
        assert process.stdout is not None
        for line in process.stdout:
            server.lines.append(line.rstrip("\n"))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        server.wait_for(lambda: process.poll() is not None or server.count(f"Serving on {server.url}", 0) > 0)
        server.wait_for(lambda: process.poll() is not None or server.page() is not None)
        assert process.poll() is None, server.output()
        time.sleep(1)  # the watcher takes its first look at the files in a thread of its own
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the tests that watch it: a one-paper project with a one-topic taxonomy."""
    root = tmp_path_factory.mktemp("serve")
    project = make_project(root / "project")
    project.write_digest("2025-01-01.txt", "A Paper\nAbout apples.\n")
    (project.root / "taxonomy.yaml").write_text(TAXONOMY, encoding="utf-8")
    with serving(project, root / "tmp") as running:
        yield running


def test_serve_generates_the_site_and_shows_a_dropped_digest_after_one_rebuild(server: Server) -> None:
    project = server.project
    home = server.page() or ""
    assert "Browse the archive by date" in home, server.output()  # the generated home page
    assert "A Paper" in (server.page("papers/a-paper/") or "")
    assert (project.docs / "papers" / "a-paper.md").is_file()  # generated into site_src/

    mark = server.mark()
    # The newest day (the other tests' digests are older): the home page lists its papers.
    drop(project, project.digests / "2025-02-01.txt", "Dropped In\nA new digest arrives.\n")
    server.wait_for(lambda: "Dropped In" in (server.page("papers/dropped-in/") or ""))
    assert (project.docs / "papers" / "dropped-in.md").is_file()
    assert "Dropped In" in (server.page() or ""), server.output()

    # The generator's own writes (pages, cache) start no rebuild of their own: one rebuild, then quiet.
    time.sleep(SETTLE)
    assert server.count(REBUILD, mark) == 1, server.output()
    assert server.count("Detected file changes", mark) == 1, server.output()
    assert server.count(RELOADED, mark) == 1, server.output()
    # A preview records no URLs (a build does).
    assert not (project.digests / "urls.tsv").exists()
    assert server.process.poll() is None


def test_a_broken_digest_logs_one_line_and_the_last_good_pages_stay(server: Server) -> None:
    project = server.project
    before = files(project.docs)
    served = {path: without_livereload(server.page(path)) for path in ("", "papers/a-paper/")}
    assert all(served.values()), server.output()
    broken = project.digests / "2025-01-03.txt"

    mark = server.mark()
    drop(project, broken, "Title without abstract\n")
    server.wait_rebuilt(mark)
    drop(project, broken, "Title without abstract\n")  # a second try: a second line, no more
    server.wait_rebuilt(mark, 2)
    time.sleep(SETTLE)
    output = server.since(mark)
    assert server.count(REBUILD, mark) == 2, server.output()
    errors = [line for line in output if "ERROR" in line or "title without abstract" in line]
    assert errors == [f"ERROR   -  {BROKEN} (the pages of the last good build stay)"] * 2, server.output()
    assert not [line for line in output if "Traceback" in line or FAILED in line], server.output()
    # Nothing generated was written, and the site served is the last good one.
    assert files(project.docs) == before
    assert {path: without_livereload(server.page(path)) for path in served} == served
    assert server.process.poll() is None

    mark = server.mark()
    drop(project, broken, "Fixed Title\nNow with an abstract.\n")
    server.wait_for(lambda: "Fixed Title" in (server.page("papers/fixed-title/") or ""))
    assert "Fixed Title" in (server.page("archive/2025-01-03/") or ""), server.output()
    assert server.count("ERROR", mark) == 0, server.output()
    assert not (project.digests / "urls.tsv").exists()


def test_serve_rebuilds_when_the_taxonomy_or_a_hand_written_page_changes(server: Server) -> None:
    project = server.project
    assert "Fruit" in (server.page("topics/fruit/") or ""), server.output()

    mark = server.mark()
    drop(project, project.root / "taxonomy.yaml", TAXONOMY.replace("Fruit", "Orchards"))
    server.wait_for(lambda: "Orchards" in (server.page("topics/orchards/") or ""))
    assert server.page("topics/fruit/") is None  # the old topic's page is gone: 404
    assert not (project.docs / "topics" / "fruit").exists()
    assert server.count(REBUILD, mark) >= 1

    about = project.docs / "about.md"
    mark = server.mark()
    about.write_text(about.read_text(encoding="utf-8") + "\nServed fresh from the preview.\n", encoding="utf-8")
    server.wait_for(lambda: "Served fresh from the preview." in (server.page("about/") or ""))
    assert server.count(REBUILD, mark) >= 1
    assert not (project.digests / "urls.tsv").exists()


def test_stopping_the_server_frees_its_port(project: Project, tmp_path: Path) -> None:
    project.write_digest("2025-01-01.txt", "A Paper\nAbout apples.\n")
    with serving(project, tmp_path / "tmp") as server:
        assert "A Paper" in (server.page() or ""), server.output()
        url, port = server.url, server.port
        server.process.terminate()  # SIGTERM, as a service manager stops it
        assert server.process.wait(timeout=20) == -signal.SIGTERM, server.output()
    # Nothing listens on the port any more.
    wait_for(lambda: fetch(url) is None, 20)
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # closed connections may linger
        sock.bind(("127.0.0.1", port))  # fails while a server still listens there
