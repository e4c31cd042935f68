"""The archive's data model: frozen, hashable, safe to share between stages."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class HeaderDate:
    """A date line from a digest's header, such as "Mar 11" (the year is rarely given)."""

    month: int
    day: int
    year: int | None
    line: int
    text: str


@dataclass(frozen=True)
class Link:
    """A code or project link found in an abstract or given by a structured digest."""

    kind: str
    url: str


@dataclass(frozen=True)
class Details:
    """What a structured (JSON or YAML) digest may say of a paper beyond its title and abstract.

    Unknown values are None or empty; a text digest knows none of them.
    """

    arxiv_id: str | None = None
    authors: tuple[str, ...] = ()
    published: dt.date | None = None
    upvotes: int | None = None
    comments: int | None = None
    github: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    ai_summary: str | None = None
    ai_keywords: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # topic names given by hand in a YAML digest
    links: tuple[Link, ...] = ()  # links given by hand in a YAML digest


@dataclass(frozen=True)
class Entry:
    """One title and abstract as it stands in one digest, with whatever else the digest said of it."""

    title: str
    abstract: str
    source: str
    line: int
    details: Details = Details()
    links: tuple[Link, ...] = ()  # the code, project and data links its abstract holds


@dataclass(frozen=True)
class Digest:
    """One digest file: its papers in order and, once resolved, its date."""

    name: str
    entries: tuple[Entry, ...]
    header_date: HeaderDate | None = None
    date: dt.date | None = None
    own_date: dt.date | None = None  # a full date the digest states (YAML `date`, JSON submittedOnDailyAt)
    own_date_line: int | None = None


@dataclass(frozen=True)
class Appearance:
    """A paper's appearance in one digest."""

    digest: str
    date: dt.date | None
    line: int


@dataclass(frozen=True)
class Variant:
    """An abstract that differs from the paper's main one, and where it was seen."""

    abstract: str
    source: str
    line: int


@dataclass(frozen=True)
class RelatedPaper:
    """Another paper similar to this one, and the terms they share most (as its page shows it)."""

    id: str
    terms: tuple[str, ...]


@dataclass(frozen=True)
class Topic:
    """A tag as the site shows it."""

    name: str
    slug: str
    description: str


@dataclass(frozen=True)
class Paper:
    """A distinct paper with every appearance it made in the archive."""

    id: str
    key: str
    title: str
    abstract: str
    appearances: tuple[Appearance, ...]
    links: tuple[Link, ...] = ()
    variants: tuple[Variant, ...] = ()
    tags: tuple[str, ...] = ()  # topic names, strongest first
    related: tuple[RelatedPaper, ...] = ()
    details: Details = Details()

    @property
    def url(self) -> str:
        """Path of the paper's page relative to the site root."""
        return f"papers/{self.id}/"

    @property
    def first_date(self) -> dt.date | None:
        """The earliest date the paper appeared on, if any digest of it is dated."""
        dates = [a.date for a in self.appearances if a.date is not None]
        return min(dates) if dates else None

    @property
    def last_date(self) -> dt.date | None:
        """The latest date the paper appeared on, if any digest of it is dated."""
        dates = [a.date for a in self.appearances if a.date is not None]
        return max(dates) if dates else None


@dataclass(frozen=True)
class Site:
    """What the generator knows about the published site (from mkdocs.yml, see config.py)."""

    name: str = "Daily Papers Archive"
    url: str | None = None  # absolute, ends with "/"; None when no site_url is configured

    def link(self, path: str, relative_root: str) -> str:
        """A link to a site path: absolute under `url`, else relative through `relative_root` ("../")."""
        return (self.url or relative_root) + path


@dataclass(frozen=True)
class Archive:
    """Everything the site shows: digests (newest first, undated last) and papers (by id)."""

    digests: tuple[Digest, ...]
    papers: tuple[Paper, ...]
    topics: tuple[Topic, ...] = ()  # in taxonomy order; only those some paper carries
    placements: tuple[tuple[str, int, str], ...] = ()  # (digest, entry line, paper id) for every entry

    @cached_property
    def by_placement(self) -> dict[tuple[str, int], str]:
        """Paper ids by the digest and line of each entry."""
        return {(digest, line): paper for digest, line, paper in self.placements}

    @cached_property
    def by_id(self) -> dict[str, Paper]:
        """Papers by id."""
        return {p.id: p for p in self.papers}

    def papers_of(self, entries: Iterable[Entry]) -> list[Paper]:
        """Map entries to their papers, keeping first occurrences in order."""
        seen: set[str] = set()
        out: list[Paper] = []
        for entry in entries:
            paper = self.by_id[self.by_placement[(entry.source, entry.line)]]
            if paper.id not in seen:
                seen.add(paper.id)
                out.append(paper)
        return out


def newest_first(paper: Paper) -> tuple[bool, int, str]:
    """Order papers by their latest dated appearance, newest first; undated ones last."""
    last = paper.last_date
    return (last is None, -last.toordinal() if last else 0, paper.id)


def title_key(title: str) -> str:
    """Normalise a title for identity: Unicode NFKC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", title).casefold().split())
