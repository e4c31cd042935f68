"""End to end: the samples generated, then built by `mkdocs build --strict`."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

from conftest import Project, make_project


def test_mkdocs_strict_build_generates_the_pages_with_no_warnings(built_samples: Project) -> None:
    """`mkdocs build --strict` on a fresh copy: its plugin generates the pages, then MkDocs builds them."""
    assert built_samples.built is not None
    output = built_samples.built.stderr
    assert "WARNING" not in output, output
    assert "INFO    -  Generated 535 papers from 5 digests: 1333 files written, 0 unchanged, 0 removed\n" in output
    # The generator's own warnings (two undated digests) are shown, and do not fail --strict.
    assert output.count("INFO    -  Generator warning: digests/") == 2


def test_properdocs_builds_the_same_site(built_samples: Project, tmp_path: Path) -> None:
    """ProperDocs, MkDocs' maintained fork, runs the plugin from mkdocs.yml and builds the same
    pages; only the generator named in each page's head differs."""
    project = make_project(tmp_path / "properdocs", with_samples=True)
    project.mkdocs(command="properdocs")
    assert project.built is not None and "WARNING" not in project.built.stderr
    mkdocs_files = sorted(p.relative_to(built_samples.site) for p in built_samples.site.rglob("*") if p.is_file())
    assert sorted(p.relative_to(project.site) for p in project.site.rglob("*") if p.is_file()) == mkdocs_files
    generator = re.compile(rb'<meta name="generator" content="[^"]*">')
    for name in mkdocs_files:
        ours, theirs = ((site / name).read_bytes() for site in (built_samples.site, project.site))
        assert generator.sub(b"", ours) == generator.sub(b"", theirs), name


def test_papers_json_is_complete(built_samples: Project) -> None:
    data = json.loads((built_samples.docs / "papers.json").read_text(encoding="utf-8"))
    papers = data["papers"]
    assert len(papers) == 535
    assert len({p["id"] for p in papers}) == 535
    for paper in papers:
        assert {"id", "title", "abstract", "url", "appearances", "links", "tags", "related"} <= paper.keys()
        assert paper["url"] == f"papers/{paper['id']}/"
        assert (built_samples.site / paper["url"] / "index.html").is_file()
        for appearance in paper["appearances"]:
            assert set(appearance) == {"digest", "date"}
            assert appearance["date"] is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", appearance["date"])
        for link in paper["links"]:
            assert set(link) == {"kind", "url"} and link["url"].startswith("http")
    assert sum(len(p["appearances"]) for p in papers) == 594
    assert (built_samples.site / "papers.json").read_bytes() == (built_samples.docs / "papers.json").read_bytes()


def test_one_page_per_paper_and_per_date(built_samples: Project) -> None:
    pages = sorted(p.name for p in (built_samples.docs / "papers").glob("*.md"))
    assert len(pages) == 535
    days = sorted(p.name for p in (built_samples.docs / "archive").glob("*.md"))
    assert days == ["2025-03-11.md", "2025-03-14.md", "2025-03-17.md", "index.md", "undated.md"]


def test_every_paper_is_listed_exactly_once_per_digest(built_samples: Project) -> None:
    """Date pages and the undated page together list each digest's papers once each."""
    data = json.loads((built_samples.docs / "papers.json").read_text(encoding="utf-8"))
    expected: dict[str, int] = {}
    for paper in data["papers"]:
        for a in paper["appearances"]:
            page = f"archive/{a['date']}/" if a["date"] else "archive/undated/"
            expected[page] = expected.get(page, 0) + 1
    for page, count in expected.items():
        html = built_samples.page(page)
        assert len(re.findall(r'<li><a href="\.\./\.\./papers/[^"]+/">', html)) == count, page


def test_paper_page_content(built_samples: Project) -> None:
    html = built_samples.page("papers/unraveling-the-mystery-of-scaling-laws-part-i/")
    assert "<h1" in html and "Unraveling the Mystery of Scaling Laws: Part I" in text_of(html)
    # It appeared in four digests: the three dated ones and an undated one, newest first.
    appeared = re.findall(r'href="\.\./\.\./archive/([^"]+)"', html.split('id="appeared-in"')[1])
    assert appeared[:3] == ["2025-03-17/", "2025-03-14/", "2025-03-11/"]
    assert appeared[3].startswith("undated/#digest-")
    assert (
        "https://arxiv.org/search/?query=Unraveling+the+Mystery+of+Scaling+Laws%3A+Part+I&amp;searchtype=title" in html
    )
    assert "https://huggingface.co/papers?q=Unraveling+the+Mystery+of+Scaling+Laws%3A+Part+I" in html


def test_code_links_are_cleaned_and_labelled(built_samples: Project) -> None:
    data = json.loads((built_samples.docs / "papers.json").read_text(encoding="utf-8"))
    urls = {link["url"]: link["kind"] for p in data["papers"] for link in p["links"]}
    assert urls["https://llm-stacking.github.io/"] == "project"
    assert urls["https://github.com/wenyudu/MIGU"] == "code"
    assert urls["https://github.com/LZY-the-boys/Twin-Mergin"] == "code"
    assert not [u for u in urls if u[-1] in ".,;:)}" or "{" in u]


def test_math_is_marked_for_rendering(built_samples: Project) -> None:
    html = built_samples.page("papers/one-step-diffusion-models-with-f-divergence-distribution-matching/")
    assert '<span class="arithmatex">&#36;f&#36;</span>' in html
    assert "assets/katex/katex.min.js" in html and "assets/javascripts/math.js" in html


def test_archive_index_counts_newest_first(built_samples: Project) -> None:
    text = text_of(built_samples.page("archive/"))
    assert "2025 — 247 papers" in text and "March 2025 — 247 papers" in text
    days = re.findall(r"(\w+day \d+ March 2025) — (\d+) papers", text)
    assert days == [("Monday 17 March 2025", "102"), ("Friday 14 March 2025", "75"), ("Tuesday 11 March 2025", "91")]
    assert "2 undated digests" in text


def test_home_page_shows_newest_digest_and_totals(built_samples: Project) -> None:
    html = built_samples.page("")
    text = text_of(html)
    assert "535 papers · 5 digests · Tuesday 11 March 2025 to Monday 17 March 2025 · 2 undated digests" in text
    assert "Latest: Monday 17 March 2025" in text
    assert len(re.findall(r'<li><a href="papers/', html)) == 102


def test_paper_pages_stay_out_of_the_navigation(built_samples: Project) -> None:
    home = built_samples.page("")
    nav = home.split('<nav class="md-nav md-nav--primary"')[1].split("</nav>")[0]
    assert "papers/" not in nav
    assert "Archive" in nav
    # The home page stays small: it embeds the navigation, and the navigation holds no papers.
    assert len(home.encode()) < 200_000


def test_hand_written_page_is_kept_and_built(built_samples: Project) -> None:
    assert (built_samples.docs / "about.md").is_file()
    assert "About this archive" in built_samples.page("about/")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def text_of(html: str) -> str:
    """Visible text of a page, entities decoded, whitespace collapsed."""
    parser = _Text()
    parser.feed(html)
    return " ".join("".join(parser.parts).split())


def all_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_generated_files_stay_inside_the_owned_roots(built_samples: Project) -> None:
    from generator.render import GENERATED_ROOTS
    from generator.write import read_manifest

    files = list(read_manifest(built_samples.docs))
    papers = json.loads((built_samples.docs / "papers.json").read_text(encoding="utf-8"))["papers"]
    per_topic = Counter(tag for p in papers for tag in p["tags"])
    topic_pages = 1 + sum(math.ceil(count / 100) for count in per_topic.values())
    pages = [f for f in files if not f.startswith("search-index/")]
    # papers, three days, undated, archive index, home, trends, papers.json/.csv/.bib, topics,
    # feeds and the two empty sitemaps beside them, the (empty) authors index
    assert len(pages) == 535 + 3 + 1 + 1 + 1 + 1 + 3 + topic_pages + 1 + len(per_topic) + 2 + 1
    search = [f for f in files if f.startswith("search-index/")]
    assert len([f for f in search if f.startswith("search-index/docs/")]) == math.ceil(535 / 10)
    assert {f.split("/")[0] for f in files} == GENERATED_ROOTS


def test_generated_roots_are_ignored_by_git() -> None:
    """Generated pages are build output: .gitignore keeps every generated root out of commits."""
    from conftest import REPO

    from generator.render import GENERATED_ROOTS
    from generator.write import MANIFEST

    ignored = set((REPO / ".gitignore").read_text(encoding="utf-8").splitlines())
    for root in sorted(GENERATED_ROOTS | {MANIFEST}):
        assert f"site_src/{root}" in ignored or f"site_src/{root}/" in ignored, root


class _Links(HTMLParser):
    """Collects link targets and element ids of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"] or "")
        for name in ("href", "src"):
            if values.get(name) and tag in ("a", "link", "script", "img"):
                self.targets.append(values[name] or "")


def test_no_broken_internal_link_anywhere(built_samples: Project) -> None:
    """Every internal href and src in the built site points at a file, and every #fragment at an id."""
    from urllib.parse import unquote, urljoin, urlsplit

    site = built_samples.site
    pages: dict[str, _Links] = {}
    for path in all_pages(site):
        parser = _Links()
        parser.feed(path.read_text(encoding="utf-8"))
        pages["/" + path.relative_to(site).as_posix()] = parser
    broken = []
    checked = 0
    for source, parser in pages.items():
        for target in parser.targets:
            parts = urlsplit(urljoin("http://site" + source, target))
            if parts.netloc != "site":
                continue  # outbound: arXiv, Hugging Face, code links
            path = unquote(parts.path)
            file = path + "index.html" if path.endswith("/") else path
            checked += 1
            if not (site / file.lstrip("/")).is_file():
                broken.append(f"{source}: {target}")
            elif parts.fragment and file in pages and parts.fragment not in pages[file].ids:
                broken.append(f"{source}: {target} (no such anchor)")
    assert checked > 10_000
    assert broken == []
