"""Atom feeds: valid XML with the elements Atom requires, stable ids, absolute URLs, inert digest text."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urljoin

import pytest
from conftest import SAMPLE_FILES, SAMPLES, Project

ATOM = "{http://www.w3.org/2005/Atom}"
INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T00:00:00Z")


def parse(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def entries(feed: ET.Element) -> list[ET.Element]:
    return feed.findall(f"{ATOM}entry")


def text(element: ET.Element, name: str) -> str:
    found = element.find(f"{ATOM}{name}")
    assert found is not None, name
    return found.text or ""


def link(element: ET.Element, rel: str) -> str:
    (found,) = [e for e in element.findall(f"{ATOM}link") if e.get("rel") == rel]
    return found.get("href") or ""


def check_atom(feed: ET.Element) -> None:
    """The elements RFC 4287 requires, in the forms it requires."""
    assert feed.tag == f"{ATOM}feed"
    assert text(feed, "id").startswith("tag:daily-papers-archive,2025:feeds/")
    assert text(feed, "title")
    assert INSTANT.fullmatch(text(feed, "updated"))
    assert text(feed.find(f"{ATOM}author"), "name")  # type: ignore[arg-type]
    assert link(feed, "self").endswith(".xml")
    for entry in entries(feed):
        assert re.fullmatch(r"tag:daily-papers-archive,2025:papers/[a-z0-9-]+", text(entry, "id"))
        assert text(entry, "title")
        assert INSTANT.fullmatch(text(entry, "updated")) and INSTANT.fullmatch(text(entry, "published"))
        assert text(entry, "published") <= text(entry, "updated")
        assert link(entry, "alternate").endswith("/")
        assert text(entry, "summary")


def test_main_feed_is_valid_atom_of_the_newest_papers(built_samples: Project) -> None:
    feed = parse(built_samples.docs / "feeds" / "papers.xml")
    check_atom(feed)
    found = entries(feed)
    assert len(found) == 100
    updated = [text(e, "updated") for e in found]
    assert updated == sorted(updated, reverse=True)
    # The feed's date is the newest digest's, never the build time.
    assert text(feed, "updated") == updated[0] == "2025-03-17T00:00:00Z"
    # The newest day's 102 papers fill the feed: every entry is one of them.
    day = (built_samples.docs / "archive" / "2025-03-17.md").read_text(encoding="utf-8")
    newest = set(re.findall(r"\]\(\.\./papers/([a-z0-9-]+)\.md\)", day))
    assert len(newest) == 102
    assert {text(e, "id").rsplit("/", 1)[1] for e in found} <= newest
    assert (built_samples.site / "feeds" / "papers.xml").read_bytes() == (
        built_samples.docs / "feeds" / "papers.xml"
    ).read_bytes()


def test_a_feed_per_topic_with_only_its_papers(built_samples: Project) -> None:
    topics = sorted(p.name for p in (built_samples.docs / "topics").iterdir() if p.is_dir())
    feeds = sorted(p.stem for p in (built_samples.docs / "feeds" / "topics").glob("*.xml") if p.stem != "sitemap")
    assert feeds == topics and len(feeds) > 20
    papers = json.loads((built_samples.docs / "papers.json").read_text(encoding="utf-8"))["papers"]
    filled = 0
    for slug in feeds:
        feed = parse(built_samples.docs / "feeds" / "topics" / f"{slug}.xml")
        check_atom(feed)
        name = text(feed, "title").split(": ", 1)[1]
        # Its entries are its dated papers (an undated paper has no place in a feed), at most 100.
        dated = {p["id"] for p in papers if name in p["tags"] and any(a["date"] for a in p["appearances"])}
        shown = {text(e, "id").rsplit("/", 1)[1] for e in entries(feed)}
        assert shown == dated if len(dated) <= 100 else len(shown) == 100 and shown <= dated
        filled += bool(shown)
        for entry in entries(feed):
            assert name in [c.get("term") for c in entry.findall(f"{ATOM}category")]
    assert filled > 20  # (a topic whose papers are all undated, such as Model editing on the samples, has none)


def test_without_site_url_feed_links_resolve_to_built_pages(built_samples: Project) -> None:
    for path in [Path("feeds/papers.xml"), Path("feeds/topics/agents.xml")]:
        feed = parse(built_samples.docs / path)
        base = "http://site/" + path.as_posix()
        for href in [link(feed, "self"), link(feed, "alternate")] + [link(e, "alternate") for e in entries(feed)]:
            target = urljoin(base, href).removeprefix("http://site/")
            file = target + "index.html" if target.endswith("/") or not target else target
            assert (built_samples.site / file).is_file(), href


def test_pages_announce_their_feeds(built_samples: Project) -> None:
    home = built_samples.page("")
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Daily Papers Archive" href="feeds/papers.xml">'
        in home
    )
    agents = built_samples.page("topics/agents/")
    assert 'href="../../feeds/papers.xml"' in agents
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Daily Papers Archive: Agents" '
        'href="../../feeds/topics/agents.xml">'
    ) in agents
    assert 'href="feeds/papers.xml"' in home and 'href="papers.csv"' in home and 'href="papers.bib"' in home


def test_material_finds_a_sitemap_beside_each_feed(built_samples: Project) -> None:
    """Material fetches sitemap.xml beside every rel=alternate link; an empty one is there, no 404."""
    for folder in ["feeds", "feeds/topics"]:
        sitemap = parse(built_samples.site / folder / "sitemap.xml")
        assert sitemap.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset" and len(sitemap) == 0


def entry_ids(project: Project) -> dict[str, str]:
    """Entry id by paper page, over every feed."""
    found = {}
    for path in (project.docs / "feeds").rglob("*.xml"):
        for entry in entries(parse(path)):
            found[link(entry, "alternate").rsplit("papers/", 1)[1]] = text(entry, "id")
    return found


def test_entry_ids_stay_across_rebuilds_and_new_digests(project: Project) -> None:
    shutil.copy(SAMPLES / "digests.yaml", project.digests)
    shutil.copy(SAMPLES / SAMPLE_FILES[0], project.digests)
    project.generate()
    before = entry_ids(project)
    feed = (project.docs / "feeds" / "papers.xml").read_bytes()
    project.generate()
    assert (project.docs / "feeds" / "papers.xml").read_bytes() == feed
    for name in SAMPLE_FILES[1:]:
        shutil.copy(SAMPLES / name, project.digests)
    project.generate()
    after = entry_ids(project)
    assert before and after
    # Every paper still in a feed has the id it had; each id is its page's permanent slug.
    assert {page: after[page] for page in before.keys() & after.keys()} == {
        page: before[page] for page in before.keys() & after.keys()
    }
    registry = (project.digests / "urls.tsv").read_text(encoding="utf-8")
    for page, entry in after.items():
        slug = page.rstrip("/")
        assert entry == f"tag:daily-papers-archive,2025:papers/{slug}"
        assert f"\n{slug}\t" in registry


def test_site_url_makes_every_link_absolute(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SITE_URL", "https://someone.github.io/papers-archive")
    project.write_digest("2025-02-03.txt", "First Paper\nAbout apples.\nSecond Paper\nAbout pears.\n")
    project.generate()
    feed = parse(project.docs / "feeds" / "papers.xml")
    assert link(feed, "self") == "https://someone.github.io/papers-archive/feeds/papers.xml"
    assert link(feed, "alternate") == "https://someone.github.io/papers-archive/"
    assert [link(e, "alternate") for e in entries(feed)] == [
        "https://someone.github.io/papers-archive/papers/first-paper/",
        "https://someone.github.io/papers-archive/papers/second-paper/",
    ]
    assert "url = {https://someone.github.io/papers-archive/papers/first-paper/}" in (
        project.docs / "papers.bib"
    ).read_text(encoding="utf-8")
    # MkDocs reads the same setting: canonical links and the sitemap use it too.
    project.mkdocs()
    page = project.page("papers/first-paper/")
    assert '<link rel="canonical" href="https://someone.github.io/papers-archive/papers/first-paper/">' in page
    sitemap = (project.site / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>https://someone.github.io/papers-archive/papers/second-paper/</loc>" in sitemap


def test_bad_site_url_is_one_line_naming_the_config(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SITE_URL", "someone.github.io/papers")
    project.write_digest("2025-02-03.txt", "A Paper\nAbout apples.\n")
    result = project.generate(check=False)
    assert (result.returncode, result.stderr) == (
        1,
        "Error: mkdocs.yml: site_url must be an absolute http(s) URL such as https://you.github.io/repo/, "
        "got 'someone.github.io/papers'\n",
    )
    assert not (project.docs / "feeds").exists()


def test_hostile_digest_text_stays_text_in_feeds(project: Project) -> None:
    title = "</title><script>alert(1)</script> & ]]> \"quoted\" 'single' \ufffe end"
    abstract = "An <b>abstract</b> with &amp; and <![CDATA[ x ]]> and a \uffff character."
    project.write_digest("2025-02-03.txt", f"{title}\n{abstract}\n")
    project.generate()
    feed = parse(project.docs / "feeds" / "papers.xml")
    (entry,) = entries(feed)
    assert text(entry, "title") == title.replace("\ufffe", "\ufffd")
    assert text(entry, "summary") == abstract.replace("\uffff", "\ufffd")
    raw = (project.docs / "feeds" / "papers.xml").read_text(encoding="utf-8")
    assert "<script>" not in raw and "<b>" not in raw and "<![CDATA[" not in raw
