"""Gather dated digests into one archive: each distinct paper once, with all its appearances."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections import defaultdict
from dataclasses import replace

from generator.cache import Memo, text_key
from generator.model import Appearance, Archive, Digest, Entry, Paper, RelatedPaper, Topic, Variant, title_key
from generator.text import extract_links
from generator.urls import assign_slugs

log = logging.getLogger("generator")


def digest_order(digest: Digest) -> tuple[bool, int, str]:
    """Sort key for digests: dated ones newest first, then undated ones by name."""
    ordinal = -digest.date.toordinal() if digest.date else 0
    return (digest.date is None, ordinal, digest.name)


def _chronological(item: tuple[Digest, Entry]) -> tuple[bool, dt.date, str, int]:
    """Oldest appearance first; undated ones after all dated ones."""
    digest, entry = item
    return (digest.date is None, digest.date or dt.date.min, digest.name, entry.line)


def build_archive(
    digests: list[Digest], registry: dict[str, str], origins: dict[str, str] | None = None, memo: Memo | None = None
) -> tuple[Archive, dict[str, str]]:
    """Merge entries with the same normalised title into papers and give each its URL.

    Returns the archive and the URL registry extended with any new papers. `memo` remembers
    the links found in each abstract.
    """
    origins = origins or {}
    memo = memo or Memo()
    ordered = sorted(digests, key=digest_order)
    seen_by_key: dict[str, list[tuple[Digest, Entry]]] = defaultdict(list)
    for digest in ordered:
        if not digest.entries:
            log.warning("%s: no papers found", origins.get(digest.name, digest.name))
        for entry in digest.entries:
            seen_by_key[title_key(entry.title)].append((digest, entry))

    titles = {key: min(items, key=_chronological)[1].title for key, items in seen_by_key.items()}
    slugs = assign_slugs(titles, registry)
    papers = [
        _paper(key, slugs[key], sorted(items, key=_chronological), origins, memo) for key, items in seen_by_key.items()
    ]
    papers.sort(key=lambda p: p.id)
    updated = dict(registry)
    updated.update(slugs)
    return Archive(digests=tuple(ordered), papers=tuple(papers)), updated


def _paper(key: str, slug: str, items: list[tuple[Digest, Entry]], origins: dict[str, str], memo: Memo) -> Paper:
    """Build one paper from its entries, oldest first; differing abstracts are kept and reported."""
    first_digest, first = items[0]
    appearances: list[Appearance] = []
    variants: list[Variant] = []
    known = {_same_text(first.abstract)} if len(items) > 1 else set()
    digests_seen: set[str] = set()
    for index, (digest, entry) in enumerate(items):
        where = f"{origins.get(digest.name, digest.name)}:{entry.line}"
        if digest.name in digests_seen:
            log.warning("%s: %r is listed twice in this digest", where, entry.title)
        else:
            digests_seen.add(digest.name)
            appearances.append(Appearance(digest=digest.name, date=digest.date, line=entry.line))
        if index and (text := _same_text(entry.abstract)) not in known:
            known.add(text)
            variants.append(Variant(abstract=entry.abstract, source=digest.name, line=entry.line))
            log.warning(
                "%s: same title as %s:%d but a different abstract; the paper page shows both",
                where,
                origins.get(first_digest.name, first_digest.name),
                first.line,
            )
    links = {
        link.url: link
        for text in [first.abstract, *(v.abstract for v in variants)]
        for link in memo.get("links:" + text_key(text), functools.partial(extract_links, text))
    }
    appearances.sort(key=lambda a: (a.date is None, -(a.date.toordinal() if a.date else 0), a.digest))
    return Paper(
        id=slug,
        key=key,
        title=first.title,
        abstract=first.abstract,
        appearances=tuple(appearances),
        links=tuple(links.values()),
        variants=tuple(variants),
    )


def _same_text(text: str) -> str:
    """Compare abstracts ignoring only differences of whitespace."""
    return " ".join(text.split())


def with_topics(
    archive: Archive,
    topics: list[Topic],
    tags: dict[str, tuple[str, ...]],
    related: dict[str, tuple[RelatedPaper, ...]],
) -> Archive:
    """The archive with each paper's tags and related papers filled in."""
    papers = tuple(replace(p, tags=tags.get(p.id, ()), related=related.get(p.id, ())) for p in archive.papers)
    used = {name for p in papers for name in p.tags}
    return replace(archive, papers=papers, topics=tuple(t for t in topics if t.name in used))
