"""Topic pages, the topics index, and tags and related papers on the built pages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import Project, make_project
from test_site import text_of

from generator.render import page_numbers

TAXONOMY = """
settings: {min_papers: 3}
tags:
  - name: Apples
    description: Papers about apples.
    words: [apple]
  - name: Pears
    description: Papers about pears.
    words: [pear]
  - name: Plums
    description: Too few papers to show.
    words: [plum]
"""


@pytest.fixture(scope="module")
def orchard(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """250 apple papers over five days, 40 of them also about pears, 2 about plums."""
    project = make_project(tmp_path_factory.mktemp("orchard") / "project")
    (project.root / "taxonomy.yaml").write_text(TAXONOMY, encoding="utf-8")
    for day in range(5):
        lines = []
        for i in range(day * 50, day * 50 + 50):
            fruit = "Apple" + (" and Pear" if i % 6 == 0 else "") + (" and Plum" if i in (3, 4) else "")
            lines.append(f"{fruit} Study Number {i}\n\nWe study apple number {i} closely. Variant q{i} matters.\n")
        project.write_digest(f"2025-01-0{day + 1}.txt", "\n".join(lines))
    project.generate()
    project.mkdocs()
    return project


def test_topic_pages_paginate_at_100_newest_first(orchard: Project) -> None:
    first = orchard.page("topics/apples/")
    assert "Papers about apples." in text_of(first)
    assert "250 papers, newest first." in text_of(first)
    titles = re.findall(r"(Apple[A-Za-z ]* Study Number \d+)", text_of(first))
    assert len(set(titles)) == 100
    assert len(re.findall(r'<li><a href="\.\./\.\./papers/', first)) == 100
    assert "Study Number 249" in first and "Study Number 0<" not in first  # newest day first
    assert (orchard.site / "topics" / "apples" / "page-2" / "index.html").is_file()
    last = orchard.page("topics/apples/page-3/")
    assert len(re.findall(r'<li><a href="\.\./\.\./\.\./papers/', last)) == 50
    assert len(set(re.findall(r"Study Number \d+", text_of(last)))) == 50
    assert "Study Number 0" in text_of(last)
    assert not (orchard.site / "topics" / "apples" / "page-4").exists()


def test_topic_pages_link_their_neighbours(orchard: Project) -> None:
    middle = orchard.page("topics/apples/page-2/")
    assert "← Previous · Page 1 · 2 · 3 · Next →" in text_of(middle)
    assert '<a href="../">← Previous</a>' in middle and '<a href="../page-3/">Next →</a>' in middle
    assert "<strong>2</strong>" in middle
    first, last = text_of(orchard.page("topics/apples/")), text_of(orchard.page("topics/apples/page-3/"))
    assert "Page 1 · 2 · 3 · Next →" in first and "Previous" not in first
    assert "← Previous · Page 1 · 2 · 3" in last and "Next" not in last


@pytest.mark.parametrize(
    ("page", "pages", "shown"),
    [
        (1, 1, [1]),
        (1, 3, [1, 2, 3]),
        (1, 60, [1, 2, 3, None, 60]),
        (30, 60, [1, None, 28, 29, 30, 31, 32, None, 60]),
        (5, 60, [1, 2, 3, 4, 5, 6, 7, None, 60]),  # one left-out number is shown, not an ellipsis
        (60, 60, [1, None, 58, 59, 60]),
        (4, 7, [1, 2, 3, 4, 5, 6, 7]),
    ],
)
def test_pagers_show_a_window_not_every_page(page: int, pages: int, shown: list[int | None]) -> None:
    assert page_numbers(page, pages) == shown


def test_co_occurring_topics_and_small_tags_hidden(orchard: Project) -> None:
    text = text_of(orchard.page("topics/apples/"))
    assert "Often together with: Pears (42)" in text
    assert not (orchard.site / "topics" / "plums").exists()
    index = text_of(orchard.page("topics/"))
    assert "Apples 250 Papers about apples." in index and "Pears 42 Papers about pears." in index
    assert "Plums" not in index


def test_tags_show_on_paper_date_and_home_pages(orchard: Project) -> None:
    paper = orchard.page("papers/apple-and-pear-study-number-0/")
    assert re.search(
        r'<p class="pa-tags">Topics: <a href="\.\./\.\./topics/apples/">Apples</a> · <a href="\.\./\.\./topics/pears/">Pears</a>',
        paper,
    )
    day = orchard.page("archive/2025-01-01/")
    assert (
        '<span class="pa-tags"><a href="../../topics/apples/">Apples</a> · <a href="../../topics/pears/">Pears</a></span>'
        in day
    )


def test_related_papers_link_with_terms(orchard: Project) -> None:
    data = json.loads((orchard.docs / "papers.json").read_text(encoding="utf-8"))
    by_id = {p["id"]: p for p in data["papers"]}
    with_related = [p for p in data["papers"] if p["related"]]
    assert with_related
    sample = with_related[0]
    html = orchard.page(f"papers/{sample['id']}/")
    section = html.split('id="related-papers"')[1]
    for rid in sample["related"]:
        assert f'href="../{rid}/"' in section
        assert by_id[rid]["title"] in section
    assert "shared:" in section


def test_topics_in_navigation(orchard: Project) -> None:
    nav = orchard.page("").split("md-sidebar--primary")[1].split("md-sidebar--secondary")[0]
    assert re.search(r'href="topics/"[^>]*>\s*<span class="md-ellipsis">\s*Topics', nav)
    assert "apples" not in nav


def test_no_taxonomy_means_no_topics(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    (project.root / "taxonomy.yaml").unlink()
    project.write_digest("2025-01-01.txt", "T\nA\n")
    project.generate()
    project.mkdocs()
    assert "No topics yet" in text_of(project.page("topics/"))
