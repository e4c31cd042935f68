"""The archive as data: papers.json, papers.csv and papers.bib. Touches no disk.

Every export is sorted by paper id and carries no build time, so the same input gives the same
bytes. Digest text is data here too: JSON and CSV quote it, BibTeX escapes every character its
syntax (or LaTeX's) would read.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from generator import bibtex, markup
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


def csv_lines(rows: list[list[str]]) -> str:
    """Rows as RFC 4180 CSV lines, each cell guarded against formulas."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([markup.csv_cell(cell) for cell in row] for row in rows)
    return out.getvalue()


def bibtex_entry(paper: Paper, site: Site) -> str:
    """One paper's full `@misc` entry: what its page shows, plus topics, links and the abstract."""
    return bibtex.entry(paper, site.link(paper.url, ""), full=True)


def export_lines(paper: Paper, site: Site) -> tuple[str, str, str]:
    """A paper's line of papers.json, its line of papers.csv and its entry of papers.bib."""
    return json_line(paper), csv_lines([csv_row(paper, site)]), bibtex_entry(paper, site)


def export_files(archive: Archive, site: Site, lines: dict[str, tuple[str, str, str]] | None = None) -> dict[str, str]:
    """papers.json, papers.csv and papers.bib, from each paper's lines (export_lines, by id,
    where they are known already).

    papers.json is an object with a `papers` list, one paper per line for readable diffs;
    papers.csv an RFC 4180 CSV with a header line; papers.bib an `@misc` entry per paper, keyed
    by its permanent id.
    """
    lines = lines or {p.id: export_lines(p, site) for p in archive.papers}
    ordered = [lines[p.id] for p in archive.papers]
    header = "% Every paper of the archive, generated from the digests; keys are the papers' permanent ids.\n"
    return {
        "papers.json": '{"papers": [\n' + ",\n".join(line for line, _, _ in ordered) + "\n]}\n",
        "papers.csv": csv_lines([list(CSV_COLUMNS)]) + "".join(row for _, row, _ in ordered),
        "papers.bib": header + "".join("\n" + entry for _, _, entry in ordered),
    }
