"""Turn the archive into page texts: {path under the docs folder: text}. Touches no disk."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import jinja2
from markupsafe import Markup
from slugify import slugify

from generator import bibtex, markup
from generator.authors import author_pages, author_slug, collect_authors
from generator.feeds import MAIN_FEED, feed_files, topic_feed_path
from generator.model import Archive, Digest, Paper, Site, newest_first
from generator.search import SEARCH_ROOT
from generator.text import first_sentence
from generator.trends import trends_page
from generator.urls import page_name

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
GENERATED_ROOTS = frozenset(
    {
        "index.md",
        "papers.json",
        "papers.csv",
        "papers.bib",
        "papers",
        "archive",
        "topics",
        "authors",
        "feeds",
        "trends.md",
        SEARCH_ROOT,
    }
)
TOPIC_PAGE_SIZE = 100
RELATED_TOPICS = 8
PAGER_WINDOW = 2  # pages a pager links on each side of the current one


@dataclass(frozen=True)
class PaperPage:
    """Everything a paper's page shows: equal inputs render equal pages."""

    paper: Paper
    related: tuple[tuple[str, str, tuple[str, ...]], ...]  # (id, title, shared terms), most similar first
    topics: tuple[tuple[str, str], ...]  # (name, slug), strongest first
    anchors: tuple[tuple[str, str], ...]  # (undated digest, its anchor on the undated page)
    url: str | None = None  # the page's absolute URL, when site_url is known (its BibTeX cites it)


@dataclass(frozen=True)
class DayView:
    """One date: its digests and distinct papers."""

    date: dt.date
    digests: tuple[Digest, ...]
    papers: tuple[Paper, ...]


def _snippet(abstract: str) -> Markup:
    """The first sentence of an abstract, marked up."""
    return markup.rich(first_sentence(abstract))


@functools.cache
def environment() -> jinja2.Environment:
    """The Jinja environment, one per process (its templates are compiled once): strict about
    undefined names and about unfiltered output.

    A paper's title and snippet appear on many pages (days, topics, related lists): each is
    marked up once.
    """
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("generator", "templates"),
        undefined=jinja2.StrictUndefined,
        finalize=markup.finalize,
        autoescape=True,  # macros then return Markup; finalize still refuses plain strings
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # a build's templates do not change: no file check each time one is used
    )
    env.filters.update(markup.FILTERS)
    env.filters["title"] = functools.cache(markup.title)
    env.filters["snippet"] = functools.cache(_snippet)
    env.filters["link_label"] = lambda kind: Markup(LINK_LABELS.get(kind, "Link"))
    env.filters["topic_path"] = lambda slug, page=1: markup.internal(topic_path(slug, page))
    env.globals["page_numbers"] = page_numbers
    env.globals["page_file"] = lambda number: markup.internal(page_name(number))
    return env


def page_numbers(page: int, pages: int) -> list[int | None]:
    """The page numbers a pager shows: the first, the last, and PAGER_WINDOW either side of `page`.

    None stands for the numbers left out (an ellipsis), never for just one number: that number
    is shown instead. At most 2 * PAGER_WINDOW + 5 entries, however many pages there are, so a
    long topic's pages do not each link all the others.
    """
    near = range(max(1, page - PAGER_WINDOW), min(pages, page + PAGER_WINDOW) + 1)
    shown = sorted({1, pages, *near})
    out: list[int | None] = [shown[0]]
    for previous, number in itertools.pairwise(shown):
        if number - previous == 2:
            out.append(previous + 1)
        elif number - previous > 2:
            out.append(None)
        out.append(number)
    return out


class PaperItems:
    """List items for papers, built once per (paper, page depth, current date) and reused.

    The same paper is listed on its day page, on each of its topics' pages and on the home
    page; building the small Markdown fragment here, with the same filters the templates use,
    keeps rendering linear and fast.
    """

    def __init__(self, env: jinja2.Environment, archive: Archive) -> None:
        self._title = env.filters["title"]
        self._snippet = env.filters["snippet"]
        self._slugs = {t.name: t.slug for t in archive.topics}
        self._items: dict[tuple[str, str, dt.date | None], str] = {}

    def _item(self, paper: Paper, root: str, current: dt.date | None) -> str:
        found = self._items.get((paper.id, root, current))
        if found is None:
            found = self._items[(paper.id, root, current)] = str(self._build(paper, root, current))
        return found

    def list(self, papers: Iterable[Paper], root: str, current: dt.date | None = None) -> Markup:
        """The items of a list of papers, one a line."""
        return Markup("".join([self._item(paper, root, current) + "\n" for paper in papers]))

    def _build(self, paper: Paper, root: str, current: dt.date | None) -> Markup:
        link = markup.internal(f"{root}papers/{paper.id}.md")
        line = f"- [{self._title(paper.title)}]({link})"
        if paper.tags:
            tags = " · ".join(
                f"[{markup.lit(name)}]({markup.internal(root + topic_path(self._slugs[name], 1))})"
                for name in paper.tags
            )
            line += f' <span class="pa-tags">{tags}</span>'
        line += f'<br>\n  <span class="pa-snippet">{self._snippet(paper.abstract)}</span>'
        others = sorted({a.date for a in paper.appearances if a.date is not None and a.date != current}, reverse=True)
        if others:
            dates = ", ".join(
                f"[{d.isoformat()}]({markup.internal(f'{root}archive/{d.isoformat()}.md')})" for d in others
            )
            label = "Also in" if current else "Appeared"
            line += f'<br>\n  <span class="pa-also">{label} {dates}</span>'
        return Markup(line)


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


def paper_path(paper: Paper) -> str:
    """Where a paper's page lives under the docs folder."""
    return f"papers/{paper.id}.md"


def paper_pages(archive: Archive, site: Site | None = None) -> dict[str, PaperPage]:
    """Each paper page's inputs, by the page's path."""
    anchors = digest_anchors([d.name for d in archive.digests if d.date is None])
    slugs = {t.name: t.slug for t in archive.topics}
    pages = {}
    for paper in archive.papers:
        related = tuple((r.id, archive.by_id[r.id].title, r.terms) for r in paper.related)
        undated = tuple((a.digest, anchors[a.digest]) for a in paper.appearances if a.date is None)
        pages[paper_path(paper)] = PaperPage(
            paper=paper,
            related=related,
            topics=tuple((name, slugs[name]) for name in paper.tags),
            anchors=undated,
            url=site.link(paper.url, "") if site is not None and site.url else None,
        )
    return pages


def paper_renderer() -> Callable[[PaperPage], str]:
    """A function that renders a paper page from its inputs."""
    env = environment()
    template = env.get_template("paper.md.j2")
    title = env.filters["title"]

    def render(page: PaperPage) -> str:
        details = page.paper.details
        shown = {details.github, details.project_page}
        # Its topics and related papers are built here, like list items: a tenth of the time.
        topics = " · ".join(
            f"[{markup.lit(name)}]({markup.internal(f'../{topic_path(slug, 1)}')})" for name, slug in page.topics
        )
        related = "\n".join(
            f"- [{title(other_title)}]({markup.internal(other_id)}.md) "
            f'<span class="pa-terms">shared: {" · ".join(map(markup.lit, terms))}</span>'
            for other_id, other_title, terms in page.related
        )
        return template.render(
            page=page,
            paper=page.paper,
            anchors=dict(page.anchors),
            authors=[(name, author_slug(name)) for name in details.authors],
            links=[link for link in page.paper.links if link.url not in shown],
            bibtex=bibtex.entry(page.paper, page.url),
            topic_links=Markup(topics),
            related_list=Markup(related),
        )

    return render


def render_listings(archive: Archive, site: Site) -> dict[str, str]:
    """Everything but the paper pages, the exports and the search index: dates, topics, authors,
    trends and feeds."""
    env = environment()
    anchors = digest_anchors([d.name for d in archive.digests if d.date is None])
    paper_list = PaperItems(env, archive).list
    days = day_views(archive)
    undated = [
        {"name": d.name, "anchor": Markup(anchors[d.name]), "papers": archive.papers_of(d.entries)}
        for d in archive.digests
        if d.date is None
    ]
    totals = {
        "papers": len(archive.papers),
        "digests": len(archive.digests),
        "undated": len(undated),
        "first": days[-1].date if days else None,
        "last": days[0].date if days else None,
    }
    pages: dict[str, str] = {}
    day_template = env.get_template("day.md.j2")
    for index, view in enumerate(days):
        newer = days[index - 1].date if index > 0 else None
        older = days[index + 1].date if index + 1 < len(days) else None
        pages[f"archive/{view.date.isoformat()}.md"] = day_template.render(
            date=view.date, digests=view.digests, papers=view.papers, newer=newer, older=older, paper_list=paper_list
        )
    if undated:
        pages["archive/undated.md"] = env.get_template("undated.md.j2").render(digests=undated, paper_list=paper_list)
    pages["archive/index.md"] = env.get_template("archive.md.j2").render(
        years=calendar(days), undated=undated, totals=totals
    )
    pages["index.md"] = env.get_template("home.md.j2").render(
        totals=totals, latest=days[0] if days else None, feed=MAIN_FEED, paper_list=paper_list
    )
    pages.update(topic_pages(env, archive, paper_list))
    pages.update(author_pages(env, collect_authors(archive), paper_list))
    pages["trends.md"] = trends_page(env, archive)
    pages.update(feed_files(env, archive, site))
    return pages


def topic_pages(env: jinja2.Environment, archive: Archive, paper_list: Callable[..., Markup]) -> dict[str, str]:
    """The topics index and each topic's pages, newest papers first, TOPIC_PAGE_SIZE a page
    (`paper_list` makes their lists: PaperItems.list)."""
    members: dict[str, list[Paper]] = defaultdict(list)  # newest first
    for paper in sorted(archive.papers, key=newest_first):
        for name in paper.tags:
            members[name].append(paper)
    pairs = Counter(pair for p in archive.papers if len(p.tags) > 1 for pair in itertools.permutations(p.tags, 2))
    together: dict[str, Counter[str]] = defaultdict(Counter)
    for (name, other), count in pairs.items():
        together[name][other] = count
    topics = [t for t in archive.topics if members[t.name]]
    pages: dict[str, str] = {}
    counts = {t.name: len(members[t.name]) for t in topics}
    by_name = {t.name: t for t in topics}
    template = env.get_template("topic.md.j2")
    for topic in topics:
        papers = members[topic.name]
        chunks = [papers[i : i + TOPIC_PAGE_SIZE] for i in range(0, len(papers), TOPIC_PAGE_SIZE)]
        often = sorted(together[topic.name].items(), key=lambda item: (-item[1], item[0]))[:RELATED_TOPICS]
        related = [{"topic": by_name[name], "count": count} for name, count in often]
        for number, chunk in enumerate(chunks, start=1):
            pages[topic_path(topic.slug, number)] = template.render(
                topic=topic,
                count=counts[topic.name],
                papers=chunk,
                related=related,
                page=number,
                pages=len(chunks),
                first=(number - 1) * TOPIC_PAGE_SIZE + 1,
                feed=topic_feed_path(topic),
                paper_list=paper_list,
            )
    ordered = sorted(topics, key=lambda t: (-counts[t.name], t.name))
    pages["topics/index.md"] = env.get_template("topics.md.j2").render(
        topics=[{"topic": t, "count": counts[t.name]} for t in ordered],
        total=len(archive.papers),
        tagged=sum(1 for p in archive.papers if p.tags),
    )
    return pages


def topic_path(slug: str, page: int) -> str:
    """Where a topic's page lives: topics/<slug>/index.md, then topics/<slug>/page-2.md, ..."""
    return f"topics/{slug}/{page_name(page)}"


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
