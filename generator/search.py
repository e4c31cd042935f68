"""Search: a chunked Pagefind index of every paper, built from papers.json.

One small HTML document per paper goes to Pagefind: the title as the page's heading (so title
matches rank first), the abstract, the topics; topic, year and month as filters; the newest
date as metadata. The index is written into the built site by the MkDocs hook in
hooks/search.py, so `mkdocs build` and `mkdocs serve` both have it, and the browser downloads
only the chunks a query needs.
"""

from __future__ import annotations

import asyncio
import html
import json
import tempfile
from pathlib import Path
from typing import Any

SEARCH_ROOT = "pagefind"


class SearchIndexError(Exception):
    """Pagefind could not build the index."""


def search_document(paper: dict[str, Any]) -> str:
    """The HTML Pagefind indexes for one paper (a papers.json record); every value escaped."""
    dates = sorted({a["date"] for a in paper["appearances"] if a["date"]}, reverse=True)
    e = html.escape
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(paper['title'])}</title></head><body><main data-pagefind-body>",
        f"<h1>{e(paper['title'])}</h1>",
        f"<p>{e(paper['abstract'])}</p>",
    ]
    parts += [f'<p data-pagefind-filter="topic">{e(name)}</p>' for name in paper["tags"]]
    for year in sorted({d[:4] for d in dates}, reverse=True):
        parts.append(f'<span data-pagefind-filter="year" data-pagefind-ignore>{year}</span>')
    for month in sorted({d[:7] for d in dates}, reverse=True):
        parts.append(f'<span data-pagefind-filter="month" data-pagefind-ignore>{month}</span>')
    date = dates[0] if dates else "undated"
    parts.append(f'<span data-pagefind-meta="date" data-pagefind-ignore>{date}</span>')
    parts.append(f'<span data-pagefind-sort="date" data-pagefind-ignore>{date}</span>')
    parts.append("</main></body></html>")
    return "".join(parts)


def build_search_index(papers_json: Path, output: Path) -> int:
    """Index every paper of a papers.json into a Pagefind bundle at `output`; return the count."""
    papers = json.loads(papers_json.read_text(encoding="utf-8"))["papers"]
    with tempfile.TemporaryDirectory(prefix="pagefind-") as folder:
        pages = Path(folder)
        for paper in papers:
            # The document's path gives the result URL: papers/<id>/ as on the site.
            target = pages / paper["url"] / "index.html"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(search_document(paper), encoding="utf-8")
        try:
            asyncio.run(_index(pages, output))
        except Exception as err:
            raise SearchIndexError(f"building the search index failed: {err}") from err
    return len(papers)


async def _index(pages: Path, output: Path) -> None:
    """Run Pagefind over the per-paper documents."""
    from pagefind.index import IndexConfig, PagefindIndex

    config = IndexConfig(force_language="en", output_path=str(output.resolve()))
    async with PagefindIndex(config=config) as index:
        await index.add_directory(str(pages.resolve()))
