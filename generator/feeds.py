"""Atom feeds: the newest papers of the archive, and the newest of each topic. Touches no disk.

An entry's id is a `tag:` URI made from the paper's permanent id (see urls.py), so it never
changes: not when digests are added, not when the site moves to another host. A feed's
`updated` is its newest paper's date, never the build time, so the same input gives the same bytes.
"""

from __future__ import annotations

import datetime as dt

import jinja2
from markupsafe import Markup

from generator.model import Archive, Paper, Site, Topic, newest_first

FEED_ENTRIES = 100
# Material's JavaScript takes every <link rel="alternate"> for a language version of the site
# and fetches sitemap.xml beside its target: an empty sitemap in each feeds folder answers it,
# where a 404 would be an error in the browser's console on every page.
EMPTY_SITEMAP = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    "<!-- Not the site's sitemap (that is /sitemap.xml): see generator/feeds.py, EMPTY_SITEMAP. -->\n"
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>\n'
)
# Fixed forever: feed readers know entries by these ids.
TAG_PREFIX = "tag:daily-papers-archive,2025:"
MAIN_FEED = "feeds/papers.xml"


def entry_id(paper: Paper) -> str:
    """The permanent Atom id of a paper's entry."""
    return f"{TAG_PREFIX}papers/{paper.id}"


def topic_feed_path(topic: Topic) -> str:
    """Where a topic's feed lives."""
    return f"feeds/topics/{topic.slug}.xml"


def feed_files(env: jinja2.Environment, archive: Archive, site: Site) -> dict[str, str]:
    """The main feed and one feed per shown topic.

    A paper's entry is the same in every feed at the same depth: it is rendered once.
    """
    template = env.get_template("feed.xml.j2")
    entry_template = env.get_template("feed_entry.xml.j2")

    entries: dict[tuple[str, str], Markup] = {}

    def entry(paper: Paper, root: str) -> Markup:
        found = entries.get((paper.id, root))
        if found is None:
            found = entries[(paper.id, root)] = Markup(
                entry_template.render(paper=paper, site=site, entry_id=entry_id, root=root)
            )
        return found

    # Newest dated appearance first (undated papers have no place in a feed); at most FEED_ENTRIES.
    dated = sorted((p for p in archive.papers if p.last_date is not None), key=newest_first)
    members: dict[str, list[Paper]] = {t.name: [] for t in archive.topics}
    for paper in dated:
        for name in paper.tags:
            if len(members[name]) < FEED_ENTRIES:
                members[name].append(paper)

    def render(path: str, feed_id: str, title: str, subtitle: str, page: str, papers: list[Paper]) -> str:
        root = "../" * path.count("/")
        entries = papers[:FEED_ENTRIES]
        return template.render(
            feed={
                "id": feed_id,
                "title": title,
                "subtitle": subtitle,
                "updated": entries[0].last_date if entries else dt.date(1970, 1, 1),
                "self": site.link(path, root),
                "alternate": site.link(page, root),
            },
            site=site,
            entries=[entry(paper, root) for paper in entries],
        )

    files = {
        MAIN_FEED: render(
            MAIN_FEED,
            f"{TAG_PREFIX}feeds/papers",
            site.name,
            "The newest papers of the Hugging Face Daily Papers digests in the archive.",
            "",
            dated,
        )
    }
    files["feeds/sitemap.xml"] = EMPTY_SITEMAP
    if archive.topics:
        files["feeds/topics/sitemap.xml"] = EMPTY_SITEMAP
    for topic in archive.topics:  # every topic has a page, and every topic page names its feed
        path = topic_feed_path(topic)
        files[path] = render(
            path,
            f"{TAG_PREFIX}feeds/topics/{topic.slug}",
            f"{site.name}: {topic.name}",
            topic.description,
            f"topics/{topic.slug}/",
            members[topic.name],
        )
    return files
