"""Authors: who wrote what, from structured digests, as pages of their own.

An author is known by the slug of their name, so "José Li" and "Jose Li" are one author
page (Hugging Face spells the same person both ways) and an author's URL depends only on
their name: it never moves when other authors arrive. The page shows the name as most of
their papers spell it.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import jinja2
from markupsafe import Markup
from slugify import slugify

from generator.model import Archive, Paper, newest_first
from generator.urls import key_hash, page_name

AUTHOR_PAGE_SIZE = 100  # papers on one author's page
INDEX_PAGE_SIZE = 500  # authors on one page of the index
_RESERVED = re.compile(r"^(?:index|page-\d+)$")  # the index's own pages: authors/page-2/


@dataclass(frozen=True)
class Author:
    """An author and their papers, newest first."""

    name: str
    slug: str
    papers: tuple[Paper, ...]


def author_slug(name: str) -> str:
    """The URL slug of an author's name; a hash where the name has no usable letters or would
    shadow a page of the index."""
    slug = slugify(name, max_length=80, word_boundary=True)
    if not slug:
        return "author-" + key_hash(name.casefold())
    if _RESERVED.match(slug):
        return f"{slug}-{key_hash(name.casefold())}"
    return slug


def collect_authors(archive: Archive) -> list[Author]:
    """Every author of the archive, by name, each with their papers newest first."""
    papers: dict[str, list[Paper]] = defaultdict(list)
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for paper in archive.papers:
        for slug in dict.fromkeys(author_slug(name) for name in paper.details.authors):
            papers[slug].append(paper)
        for name in paper.details.authors:
            spellings[author_slug(name)][name] += 1
    authors = []
    for slug, found in papers.items():
        name = min(spellings[slug].items(), key=lambda item: (-item[1], item[0]))[0]
        ordered = sorted(found, key=newest_first)
        authors.append(Author(name=name, slug=slug, papers=tuple(ordered)))
    return sorted(authors, key=lambda a: (a.name.casefold(), a.slug))


def author_path(slug: str, page: int = 1) -> str:
    """Where an author's page lives: authors/<slug>/index.md, then authors/<slug>/page-2.md, ..."""
    return f"authors/{slug}/{page_name(page)}"


def index_path(page: int) -> str:
    """A page of the author index: authors/index.md, then authors/page-2.md, ..."""
    return f"authors/{page_name(page)}"


def author_pages(env: jinja2.Environment, authors: list[Author], paper_list: Callable[..., Markup]) -> dict[str, str]:
    """Each author's pages and the paginated index of all authors (`paper_list` makes the
    lists of papers: render.PaperItems.list)."""
    pages: dict[str, str] = {}
    template = env.get_template("author.md.j2")
    for author in authors:
        chunks = [author.papers[i : i + AUTHOR_PAGE_SIZE] for i in range(0, len(author.papers), AUTHOR_PAGE_SIZE)]
        for number, chunk in enumerate(chunks, start=1):
            pages[author_path(author.slug, number)] = template.render(
                author=author, papers=chunk, page=number, pages=len(chunks), paper_list=paper_list
            )
    index = env.get_template("authors.md.j2")
    # Always an index (the navigation links to it), saying so when no digest names authors.
    groups = [authors[i : i + INDEX_PAGE_SIZE] for i in range(0, len(authors), INDEX_PAGE_SIZE)] or [[]]
    for number, group in enumerate(groups, start=1):
        pages[index_path(number)] = index.render(authors=group, page=number, pages=len(groups), total=len(authors))
    return pages
