"""The archive as data: papers.json, papers.csv and papers.bib. Touches no disk.

Every export is sorted by paper id and carries no build time, so the same input gives the same
bytes. Digest text is data here too: JSON and CSV quote it, BibTeX escapes every character its
syntax (or LaTeX's) would read.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from typing import Any

from generator import bibtex, markup
from generator.cache import Memo
from generator.model import Archive, Paper, Site

CSV_COLUMNS = ("id", "title", "url", "first_date", "last_date", "dates", "tags", "links", "abstract")


def paper_record(paper: Paper) -> dict[str, Any]:
    """One paper as the data export carries it; what the digests do not say is absent, not empty."""
    record: dict[str, Any] = {
        "id": paper.id,
        "title": paper.title,
        "abstract": paper.abstract,
        "url": paper.url,
        "appearances": [
            {"digest": a.digest, "date": a.date.isoformat() if a.date else None} for a in paper.appearances
        ],
        "links": [{"kind": link.kind, "url": link.url} for link in paper.links],
        "tags": list(paper.tags),
        "related": [r.id for r in paper.related],
    }
    if paper.variants:
        record["abstract_variants"] = [{"digest": v.source, "abstract": v.abstract} for v in paper.variants]
    d = paper.details
    optional = {
        "arxiv_id": d.arxiv_id,
        "authors": list(d.authors) or None,
        "published": d.published.isoformat() if d.published else None,
        "upvotes": d.upvotes,
        "comments": d.comments,
        "github": d.github,
        "github_stars": d.github_stars,
        "project_page": d.project_page,
        "ai_summary": d.ai_summary,
        "ai_keywords": list(d.ai_keywords) or None,
    }
    record.update({key: value for key, value in optional.items() if value is not None})
    return record


def json_line(paper: Paper) -> str:
    """One paper's line of papers.json."""
    return json.dumps(paper_record(paper), ensure_ascii=False, sort_keys=True)


def papers_json(archive: Archive, memo: Memo | None = None, keys: dict[str, str] | None = None) -> str:
    """The data export: an object with a `papers` list, one paper per line for readable diffs.

    `keys` (a hash of each paper's page inputs, by id) lets `memo` remember the lines.
    """
    lines = _lines(archive, "json", memo, keys, json_line)
    return '{"papers": [\n' + ",\n".join(lines) + "\n]}\n"


def dates_of(paper: Paper) -> list[str]:
    """The distinct dates a paper appeared on, oldest first, as ISO dates."""
    return sorted({a.date.isoformat() for a in paper.appearances if a.date is not None})


def csv_row(paper: Paper, site: Site) -> list[str]:
    """One paper as a CSV row, in CSV_COLUMNS order."""
    dates = dates_of(paper)
    return [
        paper.id,
        paper.title,
        site.link(paper.url, ""),
        dates[0] if dates else "",
        dates[-1] if dates else "",
        " ".join(dates),
        "; ".join(paper.tags),
        " ".join(link.url for link in paper.links),
        paper.abstract,
    ]


def _csv_lines(rows: list[list[str]]) -> str:
    """Rows as RFC 4180 CSV lines."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def csv_line(paper: Paper, site: Site) -> str:
    """One paper's CSV line, its cells guarded against formulas."""
    return _csv_lines([[markup.csv_cell(cell) for cell in csv_row(paper, site)]])


def papers_csv(archive: Archive, site: Site, memo: Memo | None = None, keys: dict[str, str] | None = None) -> str:
    """Every paper as a row of an RFC 4180 CSV with a header line; cells are guarded against formulas."""
    lines = _lines(archive, f"csv:{site.url}", memo, keys, functools.partial(_site_line, csv_line, site))
    return _csv_lines([list(CSV_COLUMNS)]) + "".join(lines)


def bibtex_entry(paper: Paper, site: Site) -> str:
    """One paper's full `@misc` entry: what its page shows, plus topics, links and the abstract."""
    return bibtex.entry(paper, site.link(paper.url, ""), full=True)


def papers_bib(archive: Archive, site: Site, memo: Memo | None = None, keys: dict[str, str] | None = None) -> str:
    """Every paper as a BibTeX `@misc` entry keyed by its permanent id."""
    header = "% Every paper of the archive, generated from the digests; keys are the papers' permanent ids.\n"
    entries = _lines(archive, f"bib:{site.url}", memo, keys, functools.partial(_site_line, bibtex_entry, site))
    return header + "".join("\n" + entry for entry in entries)


def _site_line(make: Any, site: Site, paper: Paper) -> str:
    """`make(paper, site)`, with the paper last so that it can be partially applied."""
    return str(make(paper, site))


def _lines(archive: Archive, kind: str, memo: Memo | None, keys: dict[str, str] | None, make: Any) -> list[str]:
    """Each paper's piece of an export, remembered by the hash of its page inputs when known."""
    if memo is None or keys is None:
        return [make(p) for p in archive.papers]
    return [memo.get(f"{kind}:{keys[p.id]}", functools.partial(make, p)) for p in archive.papers]
