"""Measure search in headless Chromium: bytes a first query transfers, and time to first results.

Usage: python scripts/search_benchmark.py [--sizes 535,20000] [--engines archive,lunr]

For each size it builds a site (the sample digests for 535, synthetic archives otherwise, as
in scripts/benchmark.py), serves it on localhost, opens the search page in a fresh browser
(empty cache), types a query as soon as the box shows, and records the bytes received and the
time to the first results.
"archive" is the archive's own search (generator/search.py, assets/javascripts/search.js);
"lunr" builds the same site with Material's own search plugin instead, for comparison. Bytes
count everything the page receives from opening it to the first results (page, styles,
scripts, index). Python's http.server does not compress, so the byte counts are what an
uncompressing static host would send; the gzipped size of what was received is reported too.
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from benchmark import synthesise  # noqa: E402
from sandbox import CHROMIUM, CHROMIUM_FLAGS, command_env, copy_site_setup, serve  # noqa: E402

QUERIES = ["scaling laws", "diffusion distillation", "preference optimization", "model"]


def build(size: int, engine: str, work: Path) -> Path:
    """Generate and build a site of `size` papers searched by `engine`; return site/."""
    copy_site_setup(work, digests=size == 535)
    if size != 535:
        (work / "digests").mkdir()
        synthesise(work / "digests", size)
    if engine == "lunr":
        config = (work / "mkdocs.yml").read_text(encoding="utf-8")
        config = config.replace("plugins:\n  - papers-archive\n", "plugins:\n  - papers-archive\n  - search\n")
        config = config.replace("  - Search: search.md\n", "").replace("  - assets/javascripts/search.js\n", "")
        (work / "mkdocs.yml").write_text(config, encoding="utf-8")
        (work / "overrides" / "partials" / "header.html").unlink()
        (work / "site_src" / "search.md").unlink()
    env = command_env()
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q"], cwd=work, env=env, check=True, capture_output=True)
    return work / "site"


def measure(site: Path, engine: str, query: str) -> tuple[int, int, float, float, int]:
    """For one query in a fresh browser: (bytes received from opening the page to the first
    results, the same gzipped, seconds from the last keystroke to results, seconds from opening
    the page to results, number of results shown). Typing starts as soon as the box is on screen."""
    from playwright.sync_api import sync_playwright

    if engine == "archive":
        # The page marks which query the results on screen answer: wait for the last one's.
        path, box, result = "search/", "#pa-search-query", f'#pa-search[data-shown="{query}"] .pa-result'
    else:
        path, box, result = "", ".md-search__input", ".md-search-result__item"
    with serve(site) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_context().new_page()
        bodies: list[bytes] = []
        page.on("response", lambda response: bodies.append(_body(response)))
        opened = time.perf_counter()
        page.goto(url + path, wait_until="domcontentloaded")
        page.click(box)
        page.keyboard.type(query, delay=30)
        typed = time.perf_counter()
        page.locator(result).first.wait_for(timeout=300_000)
        done = time.perf_counter()
        count = page.locator(result).count()
        browser.close()
    sent = sum(len(b) for b in bodies)
    gzipped = sum(len(gzip.compress(b)) for b in bodies)
    return sent, gzipped, done - typed, done - opened, count


def _body(response: object) -> bytes:
    """A response's body as sent (no server compression here)."""
    try:
        return response.body()  # type: ignore[attr-defined, no-any-return]
    except Exception:
        return b""


def index_size(site: Path, engine: str) -> tuple[int, int, int]:
    """The search index on disk: bytes, gzipped bytes, files."""
    if engine == "lunr":
        data = (site / "search" / "search_index.json").read_bytes()
        return len(data), len(gzip.compress(data)), 1
    files = [p for p in (site / "search-index").rglob("*") if p.is_file()]
    raw = sum(p.stat().st_size for p in files)
    return raw, sum(len(gzip.compress(p.read_bytes())) for p in files), len(files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="535,20000")
    parser.add_argument("--engines", default="archive,lunr")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it (and reuse it if it is there)")
    args = parser.parse_args()
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        for engine in args.engines.split(","):
            folder = args.keep / f"{engine}-{size}" if args.keep else Path(tempfile.mkdtemp(prefix="search-"))
            try:
                site = folder / "site" if (folder / "site" / "index.html").is_file() else build(size, engine, folder)
                raw, gz, files = index_size(site, engine)
                for query in QUERIES:
                    sent, sent_gz, seconds, total, count = measure(site, engine, query)
                    rows.append((size, engine, query, sent, sent_gz, seconds, total, count, raw, gz, files))
                    print(rows[-1], flush=True)
            finally:
                if not args.keep:
                    shutil.rmtree(folder, ignore_errors=True)
    print()
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print()
    print(
        "| papers | search | query | transferred, page + first query (gzipped) | results after last keystroke "
        "| results after opening the page | index on disk (gzipped, files) |"
    )
    print("|---:|---|---|---:|---:|---:|---:|")
    for size, engine, query, sent, sent_gz, seconds, total, _count, raw, gz, files in rows:
        print(
            f"| {size:,} | {engine} | {query} | {sent / 1e6:.2f} MB ({sent_gz / 1e6:.2f} MB) | {seconds:.2f} s "
            f"| {total:.2f} s | {raw / 1e6:.1f} MB ({gz / 1e6:.1f} MB, {files:,}) |"
        )


if __name__ == "__main__":
    main()
