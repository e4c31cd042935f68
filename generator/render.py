"""Turn the archive into page texts: {path under the docs folder: text}. Touches no disk."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import jinja2
from markupsafe import Markup
from slugify import slugify

from generator import markup
from generator.model import Archive, Digest, Paper
from generator.text import first_sentence

LINK_LABELS = {
    "code": "Code",
    "project": "Project page",
    "dataset": "Dataset",
    "model": "Model",
    "demo": "Demo",
    "paper": "Paper",
    "website": "Website",
}

# What the generator writes at the docs root (write.py keeps the exact list in `.generated`).
GENERATED_ROOTS = frozenset({"index.md", "papers.json", "papers", "archive"})


@dataclass(frozen=True)
class DayView:
    """One date: its digests and distinct papers."""

    date: dt.date
    digests: tuple[Digest, ...]
    papers: tuple[Paper, ...]


def environment() -> jinja2.Environment:
    """The Jinja environment: strict about undefined names and about unfiltered output."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("generator", "templates"),
        undefined=jinja2.StrictUndefined,
        finalize=markup.finalize,
        autoescape=True,  # macros then return Markup; finalize still refuses plain strings
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(markup.FILTERS)
    env.filters["snippet"] = first_sentence
    env.filters["link_label"] = lambda kind: Markup(LINK_LABELS.get(kind, "Link"))
    return env


def digest_anchors(names: list[str]) -> dict[str, str]:
    """Anchors of the undated digests' sections: their slugs, with a hash where two would clash."""
    anchors: dict[str, str] = {}
    used: set[str] = set()
    for name in sorted(names):
        anchor = "digest-" + slugify(name)
        if anchor in used:
            anchor += "-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
        used.add(anchor)
        anchors[name] = anchor
    return anchors


def render_site(archive: Archive) -> dict[str, str]:
    """Render every generated page and data file of the site."""
    env = environment()
    anchors = digest_anchors([d.name for d in archive.digests if d.date is None])
    env.filters["digest_anchor"] = lambda name: Markup(anchors[name])
    days = day_views(archive)
    undated = [{"name": d.name, "papers": archive.papers_of(d.entries)} for d in archive.digests if d.date is None]
    totals = {
        "papers": len(archive.papers),
        "digests": len(archive.digests),
        "undated": len(undated),
        "first": days[-1].date if days else None,
        "last": days[0].date if days else None,
    }
    pages: dict[str, str] = {}
    paper_template = env.get_template("paper.md.j2")
    for paper in archive.papers:
        related = [archive.by_id[i] for i in paper.related if i in archive.by_id]
        pages[f"papers/{paper.id}.md"] = paper_template.render(paper=paper, related=related)
    day_template = env.get_template("day.md.j2")
    for index, view in enumerate(days):
        newer = days[index - 1].date if index > 0 else None
        older = days[index + 1].date if index + 1 < len(days) else None
        pages[f"archive/{view.date.isoformat()}.md"] = day_template.render(
            date=view.date, digests=view.digests, papers=view.papers, newer=newer, older=older
        )
    if undated:
        pages["archive/undated.md"] = env.get_template("undated.md.j2").render(digests=undated)
    pages["archive/index.md"] = env.get_template("archive.md.j2").render(
        years=calendar(days), undated=undated, totals=totals
    )
    pages["index.md"] = env.get_template("home.md.j2").render(totals=totals, latest=days[0] if days else None)
    pages["papers.json"] = papers_json(archive)
    return dict(sorted(pages.items()))


def day_views(archive: Archive) -> list[DayView]:
    """Group dated digests by date, newest first."""
    by_date: dict[dt.date, list[Digest]] = defaultdict(list)
    for digest in archive.digests:
        if digest.date is not None:
            by_date[digest.date].append(digest)
    views = []
    for date in sorted(by_date, reverse=True):
        digests = sorted(by_date[date], key=lambda d: d.name)
        papers = archive.papers_of(entry for d in digests for entry in d.entries)
        views.append(DayView(date=date, digests=tuple(digests), papers=tuple(papers)))
    return views


def calendar(days: list[DayView]) -> list[dict[str, Any]]:
    """Years, then months, then days, newest first, each with its count of distinct papers."""
    years: dict[int, dict[int, list[DayView]]] = defaultdict(lambda: defaultdict(list))
    for view in days:
        years[view.date.year][view.date.month].append(view)
    out = []
    for year in sorted(years, reverse=True):
        months = []
        year_ids: set[str] = set()
        for month in sorted(years[year], reverse=True):
            views = years[year][month]
            ids = {p.id for v in views for p in v.papers}
            year_ids |= ids
            months.append(
                {
                    "first": dt.date(year, month, 1),
                    "count": len(ids),
                    "days": [{"date": v.date, "count": len(v.papers)} for v in views],
                }
            )
        out.append({"year": year, "count": len(year_ids), "months": months})
    return out


def paper_record(paper: Paper) -> dict[str, Any]:
    """One paper as the data export carries it."""
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
        "related": list(paper.related),
    }
    if paper.variants:
        record["abstract_variants"] = [{"digest": v.source, "abstract": v.abstract} for v in paper.variants]
    return record


def papers_json(archive: Archive) -> str:
    """The data export: an object with a `papers` list, one paper per line for readable diffs."""
    lines = [json.dumps(paper_record(p), ensure_ascii=False, sort_keys=True) for p in archive.papers]
    return '{"papers": [\n' + ",\n".join(lines) + "\n]}\n"
