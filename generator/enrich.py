"""Enrichment: what text digests (and YAML digests without `id`) lack, looked up on Hugging Face.

For each paper with no arXiv id, `python -m generator enrich` searches Hugging Face for its
title and keeps a result only when its title is the same after the archive's own title
normalisation (model.title_key): never a near match. What it learns is kept in one committed
file, `digests/enrichment.json`, an entry per normalised title: the paper's arXiv id, authors,
publication date, code and project links, upvotes and the day Daily Papers listed it, or the
day a search found nothing (tried again RETRY_DAYS later, not on every run). The build reads
it offline and fills these details into entries that lack them, as a JSON digest's details
would be; it adds no appearance.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.errors import GeneratorError, HubError, captured_warnings
from generator.model import Details, Digest, Entry, title_key
from generator.structured import arxiv_id, json_item, web_url
from generator.write import replace_file

if TYPE_CHECKING:  # the client (and huggingface_hub) is loaded only by the command that looks up
    from generator.hub import Hub

ENRICHMENT_NAME = "enrichment.json"
RETRY_DAYS = 30  # a title Hugging Face did not know is searched again after this many days
ABOUT = (
    "Details of papers whose digests lack them, found on Hugging Face by their exact title. "
    "Written by `python -m generator enrich` (see README, 'The daily loop')."
)


@dataclass(frozen=True)
class Found:
    """A paper Hugging Face knows by this exact title."""

    title: str  # as Hugging Face writes it
    details: Details  # arXiv id, authors, publication date, code and project links, upvotes
    listed: dt.date | None = None  # the day Daily Papers listed it


@dataclass(frozen=True)
class Missing:
    """A title no search result carried (or several papers did), and the day that was tried."""

    tried: dt.date


Enrichment = dict[str, Found | Missing]  # by normalised title


def load_enrichment(path: Path) -> Enrichment:
    """The enrichment file, or nothing when there is none; a damaged file is an error naming it."""
    if not path.is_file():
        return {}
    source = str(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as err:
        raise GeneratorError(f"not a readable enrichment file ({err})", source) from None
    papers = document.get("papers") if isinstance(document, dict) else None
    if not isinstance(papers, dict):
        raise GeneratorError("expected an object with 'papers'", source)
    return {key: _entry(key, value, source) for key, value in papers.items()}


def _entry(key: str, value: Any, source: str) -> Found | Missing:
    """One entry of the file, checked as strictly as a digest."""
    where = f"paper {key!r}"
    if not isinstance(value, dict):
        raise GeneratorError(f"{where}: expected an object", source)
    if "not_found" in value:
        return Missing(tried=_date(value["not_found"], source, where))
    title, identifier = value.get("title"), value.get("arxiv_id")
    if not isinstance(title, str) or title_key(title) != key:
        raise GeneratorError(f"{where}: its title must normalise to its key", source)
    if not isinstance(identifier, str) or arxiv_id(identifier) != identifier:
        raise GeneratorError(f"{where}: no arXiv id", source)
    authors = value.get("authors", [])
    if not isinstance(authors, list) or not all(isinstance(name, str) and name.strip() for name in authors):
        raise GeneratorError(f"{where}: authors must be a list of names", source)
    upvotes = value.get("upvotes")
    if upvotes is not None and (not isinstance(upvotes, int) or isinstance(upvotes, bool) or upvotes < 0):
        raise GeneratorError(f"{where}: upvotes must be a whole number", source)
    github, project_page = (value.get(name) for name in ("github", "project_page"))
    for name, link in (("github", github), ("project_page", project_page)):
        if link is not None and (not isinstance(link, str) or web_url(link) != link):
            raise GeneratorError(f"{where}: {name} must be an http(s) URL", source)
    published, listed = (value.get(name) for name in ("published", "listed"))
    details = Details(
        arxiv_id=identifier,
        authors=tuple(authors),
        published=None if published is None else _date(published, source, where),
        upvotes=upvotes,
        github=github,
        project_page=project_page,
    )
    return Found(title=title, details=details, listed=None if listed is None else _date(listed, source, where))


def _date(value: Any, source: str, where: str) -> dt.date:
    """An ISO date of the file."""
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise GeneratorError(f"{where}: {value!r} is not a date written YYYY-MM-DD", source) from None


def enrichment_text(enrichment: Enrichment) -> str:
    """The file's text: sorted, one field a line, the same bytes for the same knowledge."""
    papers: dict[str, dict[str, Any]] = {}
    for key, value in enrichment.items():
        if isinstance(value, Missing):
            papers[key] = {"not_found": value.tried.isoformat()}
            continue
        d = value.details
        record = {
            "title": value.title,
            "arxiv_id": d.arxiv_id,
            "authors": list(d.authors) or None,
            "published": d.published.isoformat() if d.published else None,
            "listed": value.listed.isoformat() if value.listed else None,
            "github": d.github,
            "project_page": d.project_page,
            "upvotes": d.upvotes,
        }
        papers[key] = {name: field for name, field in record.items() if field is not None}
    document = {"about": ABOUT, "papers": papers}
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def save_enrichment(path: Path, enrichment: Enrichment) -> None:
    """Write the file whole (a temporary file, then a rename), unless it already says the same."""
    data = enrichment_text(enrichment).encode("utf-8")
    if not path.is_file() or path.read_bytes() != data:
        replace_file(path, data)


def enrich_digests(digests: list[Digest], enrichment: Enrichment) -> list[Digest]:
    """The digests with what `enrichment` found filled into each entry that has no arXiv id.

    An entry keeps whatever it says itself; only what it lacks is filled in.
    """
    if not enrichment:
        return digests
    out = []
    for digest in digests:
        entries = tuple(_enriched(entry, enrichment) for entry in digest.entries)
        out.append(digest if entries == digest.entries else replace(digest, entries=entries))
    return out


def _enriched(entry: Entry, enrichment: Enrichment) -> Entry:
    """An entry with a found paper's details where it has none of its own."""
    found = enrichment.get(title_key(entry.title)) if entry.details.arxiv_id is None else None
    if not isinstance(found, Found):
        return entry
    own, more = entry.details, found.details
    details = replace(
        own,
        arxiv_id=more.arxiv_id,
        authors=own.authors or more.authors,
        published=own.published or more.published,
        upvotes=own.upvotes if own.upvotes is not None else more.upvotes,
        github=own.github or more.github,
        project_page=own.project_page or more.project_page,
    )
    return replace(entry, details=details)


def titles_to_look_up(digests: Iterable[Digest], enrichment: Enrichment, today: dt.date) -> list[str]:
    """The titles of papers with no arXiv id that the file does not answer yet (or whose "not
    found" is RETRY_DAYS old), one per normalised title, in order of that."""
    entries = [entry for digest in digests for entry in digest.entries]
    identified = {title_key(e.title) for e in entries if e.details.arxiv_id}
    wanted: dict[str, str] = {}
    for entry in entries:
        key = title_key(entry.title)
        known = enrichment.get(key)
        if key in identified or isinstance(known, Found):
            continue
        if isinstance(known, Missing) and (today - known.tried).days < RETRY_DAYS:
            continue
        wanted.setdefault(key, entry.title)
    return [wanted[key] for key in sorted(wanted)]


def look_up(hub: Hub, title: str, today: dt.date) -> Found | Missing:
    """Search Hugging Face for a title: Found when exactly one paper's title normalises to the same.

    Results that cannot be read as papers, or that have no arXiv id, are passed over; several
    papers with the same title are not guessed between.
    """
    key = title_key(title)
    matches: dict[str, Found] = {}
    for position, item in enumerate(hub.search(title), start=1):
        try:
            with captured_warnings():
                entry, listed = json_item(item, position, "search", "search", 1)
        except GeneratorError:
            continue
        if title_key(entry.title) == key and entry.details.arxiv_id:
            matches.setdefault(entry.details.arxiv_id, Found(entry.title, entry.details, listed))
    if len(matches) != 1:
        return Missing(tried=today)
    (found,) = matches.values()
    d = found.details
    kept = Details(
        arxiv_id=d.arxiv_id,
        authors=d.authors,
        published=d.published,
        upvotes=d.upvotes,
        github=d.github,
        project_page=d.project_page,
    )
    return replace(found, details=kept)


@dataclass(frozen=True)
class DateProposal:
    """The day Daily Papers listed most of an undated digest's papers on, and the evidence."""

    digest: str
    date: dt.date
    papers: int  # the digest's distinct papers
    listed: int  # of them, those listed on `date`

    def evidence(self) -> str:
        """What the proposal rests on, in words."""
        return f"{self.listed} of {self.papers} papers were listed on {self.date.isoformat()}"


def propose_dates(undated: Iterable[Digest], enrichment: Enrichment) -> list[DateProposal]:
    """For each undated digest, the day most of its papers were listed on, when more than half
    of its papers were listed on that one day; other digests get no proposal."""
    proposals = []
    for digest in undated:
        keys = list(dict.fromkeys(title_key(entry.title) for entry in digest.entries))
        days = Counter(found.listed for key in keys if isinstance(found := enrichment.get(key), Found) and found.listed)
        if not days:
            continue
        day, count = max(days.items(), key=lambda item: (item[1], item[0]))
        if 2 * count > len(keys):
            proposals.append(DateProposal(digest.name, day, len(keys), count))
    return proposals


SAVE_EVERY = 25  # lookups between saves: a stopped run keeps what it learned


def look_up_all(
    hub: Hub,
    titles: list[str],
    enrichment: Enrichment,
    path: Path,
    today: dt.date,
    progress: Callable[[list[str]], Iterable[str]] = iter,
) -> list[tuple[str, str]]:
    """Look up each title, recording what was learned in `enrichment` and saving it to `path`
    as it goes; the titles whose search failed (tried again next run), with why."""
    failed = []
    for done, title in enumerate(progress(titles), start=1):
        try:
            enrichment[title_key(title)] = look_up(hub, title, today)
        except HubError as err:
            failed.append((title, str(err)))
        if done % SAVE_EVERY == 0:
            save_enrichment(path, enrichment)
    save_enrichment(path, enrichment)
    return failed
