"""Gather dated digests into one archive: each distinct paper once, with all its appearances."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from generator.model import (
    Appearance,
    Archive,
    Details,
    Digest,
    Entry,
    Paper,
    RelatedPaper,
    Topic,
    Variant,
    title_key,
)
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
    digests: list[Digest], registry: dict[str, str], origins: dict[str, str] | None = None
) -> tuple[Archive, dict[str, str]]:
    """Merge entries of the same paper into one paper each and give each its URL.

    Entries are the same paper when their arXiv ids match, or when their titles match after
    normalisation and no id contradicts it. Returns the archive and the URL registry extended
    with any new papers.
    """
    origins = origins or {}
    ordered = sorted(digests, key=digest_order)
    for digest in ordered:
        if not digest.entries:
            log.warning("%s: no papers found", origins.get(digest.name, digest.name))
    normal = functools.cache(title_key)  # each title is normalised up to four times below
    groups = _group([(d, e) for d in ordered for e in d.entries], origins, normal)
    keys = _registry_keys(groups, registry, normal)
    titles = {key: items[0][1].title for key, items in zip(keys, groups, strict=True)}
    slugs = assign_slugs(titles, registry)
    papers = sorted(
        (_paper(key, slugs[key], items, origins) for key, items in zip(keys, groups, strict=True)), key=lambda p: p.id
    )
    placements = sorted((d.name, e.line, slugs[key]) for key, items in zip(keys, groups, strict=True) for d, e in items)
    updated = dict(registry)
    updated.update(slugs)
    return Archive(digests=tuple(ordered), papers=tuple(papers), placements=tuple(placements)), updated


def _where(item: tuple[Digest, Entry], origins: dict[str, str]) -> str:
    """`file:line` of an entry, for messages."""
    digest, entry = item
    return f"{origins.get(digest.name, digest.name)}:{entry.line}"


def _group(
    items: list[tuple[Digest, Entry]], origins: dict[str, str], normal: Callable[[str], str]
) -> list[list[tuple[Digest, Entry]]]:
    """The entries of each distinct paper, oldest first; papers ordered by their first appearance."""
    by_id: dict[str, list[tuple[Digest, Entry]]] = defaultdict(list)
    by_title: dict[str, list[tuple[Digest, Entry]]] = defaultdict(list)
    for item in items:
        identifier = item[1].details.arxiv_id
        if identifier:
            by_id[identifier].append(item)
        else:
            by_title[normal(item[1].title)].append(item)
    ids_by_title: dict[str, list[str]] = defaultdict(list)
    for identifier, found in sorted(
        by_id.items(), key=lambda pair: (_chronological(min(pair[1], key=_chronological)), pair[0])
    ):
        for key in dict.fromkeys(normal(entry.title) for _, entry in sorted(found, key=_chronological)):
            ids_by_title[key].append(identifier)
    for key, identifiers in ids_by_title.items():
        if len(identifiers) > 1:
            first = min(
                (item for i in identifiers for item in by_id[i] if normal(item[1].title) == key), key=_chronological
            )
            log.warning(
                "%s: the title %r comes with different arXiv ids (%s); kept as separate papers",
                _where(first, origins),
                first[1].title,
                ", ".join(identifiers),
            )
    groups = {f"arXiv:{identifier}": found for identifier, found in by_id.items()}
    for key, found in by_title.items():
        if key not in ids_by_title:
            groups[f"title:{key}"] = found
            continue
        # Matched by title: merged with the (oldest) paper of that title that has an arXiv id.
        target = f"arXiv:{ids_by_title[key][0]}"
        groups[target] = groups[target] + found
    out = [sorted(found, key=_chronological) for found in groups.values()]
    for found in out:
        if len(found) == 1:  # most papers
            continue
        titles = list(dict.fromkeys(entry.title for _, entry in found))
        if len({normal(t) for t in titles}) > 1:
            log.warning(
                "%s: arXiv %s has other titles elsewhere (%s); the page uses the first",
                _where(found[0], origins),
                found[0][1].details.arxiv_id,
                "; ".join(repr(t) for t in titles[1:]),
            )
    return sorted(out, key=lambda found: (_chronological(found[0]), normal(found[0][1].title)))


def _registry_keys(
    groups: list[list[tuple[Digest, Entry]]], registry: dict[str, str], normal: Callable[[str], str]
) -> list[str]:
    """Each paper's key in the URL registry: a normalised title of it that is registered already
    (so richer data never moves a page), else its first title; a title two papers share goes to
    the older one, and the other's key names its arXiv id."""
    taken: set[str] = set()
    keys = []
    for found in groups:
        candidates = list(dict.fromkeys(normal(entry.title) for _, entry in found))
        registered = [k for k in candidates if k in registry and k not in taken]
        key = registered[0] if registered else candidates[0]
        if key in taken:
            key = f"{candidates[0]} [arXiv:{found[0][1].details.arxiv_id}]"
        taken.add(key)
        keys.append(key)
    return keys


def _paper(key: str, slug: str, items: list[tuple[Digest, Entry]], origins: dict[str, str]) -> Paper:
    """Build one paper from its entries, oldest first: the oldest title, the longest abstract (the
    others kept as variants and reported), every appearance, the richest details."""
    first = items[0][1]
    main_digest, main = items[0]
    if len(items) > 1:  # the fullest abstract is the paper's; other versions are shown as variants
        _, (main_digest, main) = max(enumerate(items), key=lambda p: (len(_same_text(p[1][1].abstract)), -p[0]))
    appearances: list[Appearance] = []
    variants: list[Variant] = []
    known = {_same_text(main.abstract)} if len(items) > 1 else set()
    linked = [main]  # the entries whose abstract the page shows: the main one, then the variants
    digests_seen: set[str] = set()
    for digest, entry in items:
        where = f"{origins.get(digest.name, digest.name)}:{entry.line}"
        if digest.name in digests_seen:
            log.warning("%s: %r is listed twice in this digest", where, entry.title)
        else:
            digests_seen.add(digest.name)
            appearances.append(Appearance(digest=digest.name, date=digest.date, line=entry.line))
        if len(items) > 1 and (text := _same_text(entry.abstract)) not in known:
            known.add(text)
            variants.append(Variant(abstract=entry.abstract, source=digest.name, line=entry.line))
            linked.append(entry)
            same = "title" if title_key(entry.title) == title_key(main.title) else "arXiv id"
            log.warning(
                "%s: same %s as %s:%d but a different abstract; the paper page shows the longer one first",
                where,
                same,
                origins.get(main_digest.name, main_digest.name),
                main.line,
            )
    details = merge_details(items, origins)
    links = {link.url: link for entry in linked for link in entry.links}
    for link in details.links:
        links.setdefault(link.url, link)
    appearances.sort(key=lambda a: (a.date is None, -(a.date.toordinal() if a.date else 0), a.digest))
    return Paper(
        id=slug,
        key=key,
        title=first.title,
        abstract=main.abstract,
        appearances=tuple(appearances),
        links=tuple(links.values()),
        variants=tuple(variants),
        details=details,
    )


def merge_details(items: list[tuple[Digest, Entry]], origins: dict[str, str]) -> Details:
    """The richest value of each field over a paper's entries (oldest first); contradictions are reported."""
    if len(items) == 1:  # most papers: nothing to merge
        return items[0][1].details
    found = [(item, item[1].details) for item in items]

    def single(field: str) -> Any:
        values = [(item, getattr(d, field)) for item, d in found if getattr(d, field) is not None]
        distinct = list(dict.fromkeys(v for _, v in values))
        if len(distinct) > 1:
            log.warning(
                "%s: %s is %s here but %s in %s; using the first",
                _where(values[0][0], origins),
                field.replace("_", " "),
                distinct[0],
                distinct[1],
                _where(next(item for item, v in values if v == distinct[1]), origins),
            )
        return distinct[0] if distinct else None

    def most(field: str) -> int | None:
        values = [getattr(d, field) for _, d in found if getattr(d, field) is not None]
        return max(values) if values else None

    def union(field: str) -> tuple[Any, ...]:
        return tuple(dict.fromkeys(v for _, d in found for v in getattr(d, field)))

    author_lists = [(item, d.authors) for item, d in found if d.authors]
    authors: tuple[str, ...] = ()
    if author_lists:
        authors = max(author_lists, key=lambda pair: len(pair[1]))[1]  # the longest; on a tie, the oldest
        for item, names in author_lists:
            if not set(names) <= set(authors):
                log.warning(
                    "%s: authors differ from %s; using the longest list",
                    _where(item, origins),
                    _where(next(i for i, n in author_lists if n == authors), origins),
                )
                break
    return Details(
        arxiv_id=single("arxiv_id"),
        authors=authors,
        published=single("published"),
        upvotes=most("upvotes"),
        comments=most("comments"),
        github=single("github"),
        github_stars=most("github_stars"),
        project_page=single("project_page"),
        ai_summary=next((d.ai_summary for _, d in found if d.ai_summary), None),
        ai_keywords=union("ai_keywords"),
        tags=union("tags"),
        links=tuple({link.url: link for _, d in found for link in d.links}.values()),
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
