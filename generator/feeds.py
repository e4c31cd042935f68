"""Atom feeds: the newest papers of the archive, and the newest of each topic. Touches no disk.

An entry's id is a `tag:` URI made from the paper's permanent id (see urls.py), so it never
changes: not when digests are added, not when the site moves to another host. A feed's
`updated` is its newest paper's date, never the build time, so the same input gives the same bytes.
"""

from __future__ import annotations

import datetime as dt

import jinja2

from generator.model import Archive, Paper, Site, Topic, newest_first

FEED_ENTRIES = 100
# Fixed forever: feed readers know entries by these ids.
TAG_PREFIX = "tag:daily-papers-archive,2025:"
MAIN_FEED = "feeds/papers.xml"


def entry_id(paper: Paper) -> str:
    """The permanent Atom id of a paper's entry."""
    return f"{TAG_PREFIX}papers/{paper.id}"


def topic_feed_path(topic: Topic) -> str:
    """Where a topic's feed lives."""
    return f"feeds/topics/{topic.slug}.xml"


def newest(papers: list[Paper] | tuple[Paper, ...]) -> list[Paper]:
    """The FEED_ENTRIES papers with the newest dated appearances (undated papers have no place in a feed)."""
    return sorted((p for p in papers if p.last_date is not None), key=newest_first)[:FEED_ENTRIES]


def feed_files(env: jinja2.Environment, archive: Archive, site: Site) -> dict[str, str]:
    """The main feed and one feed per shown topic."""
    template = env.get_template("feed.xml.j2")
    members: dict[str, list[Paper]] = {t.name: [] for t in archive.topics}
    for paper in archive.papers:
        for name in paper.tags:
            members[name].append(paper)

    def render(path: str, feed_id: str, title: str, subtitle: str, page: str, papers: list[Paper]) -> str:
        root = "../" * path.count("/")
        entries = newest(papers)
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
            papers=entries,
            entry_id=entry_id,
            root=root,
        )

    files = {
        MAIN_FEED: render(
            MAIN_FEED,
            f"{TAG_PREFIX}feeds/papers",
            site.name,
            "The newest papers of the Hugging Face Daily Papers digests in the archive.",
            "",
            list(archive.papers),
        )
    }
    for topic in archive.topics:
        if members[topic.name]:
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
