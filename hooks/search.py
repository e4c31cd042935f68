"""MkDocs hook: after each build (and each `mkdocs serve` rebuild), index the papers for search."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from generator.search import SEARCH_ROOT, SearchIndexError, build_search_index

log = logging.getLogger("mkdocs.hooks.search")


def on_post_build(config: Any, **kwargs: Any) -> None:
    """Write the Pagefind bundle for site_src/papers.json into the built site."""
    papers = Path(config["docs_dir"]) / "papers.json"
    if not papers.is_file():
        log.warning(
            "No papers.json in %s: run `python -m generator build` first; search has no index", config["docs_dir"]
        )
        return
    started = time.perf_counter()
    try:
        count = build_search_index(papers, Path(config["site_dir"]) / SEARCH_ROOT)
    except SearchIndexError as err:
        from mkdocs.exceptions import PluginError

        raise PluginError(str(err)) from None
    log.info("Search index: %d papers in %.1f s", count, time.perf_counter() - started)
