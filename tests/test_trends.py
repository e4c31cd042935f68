"""The trends page: months with their counts, charts that are valid SVG, and the same numbers as tables."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from conftest import Project
from test_site import text_of

SVG = "{http://www.w3.org/2000/svg}"
TAXONOMY = """
settings: {min_papers: 1}
tags:
  - name: Apples <&> "Pears"
    description: Fruit.
    words: [apple]
  - name: Plums
    description: Stone fruit.
    words: [plum]
"""


def charts(markdown: str) -> list[ET.Element]:
    """Every inline SVG of a generated page, parsed as XML."""
    return [ET.fromstring(svg) for svg in re.findall(r"<svg .*?</svg>", markdown, flags=re.S)]


def test_months_charts_and_tables(project: Project) -> None:
    (project.root / "taxonomy.yaml").write_text(TAXONOMY, encoding="utf-8")
    project.write_digest("2025-01-10.txt", "Apple One\nAn apple.\nApple Two\nAn apple.\nPlum One\nA plum.\n")
    project.write_digest("2025-03-02.txt", "Apple One\nAn apple.\nPlum Two\nA plum.\n")
    project.write_digest("undated.txt", "Undated Apple\nAn apple.\n")
    project.generate()
    page = (project.docs / "trends.md").read_text(encoding="utf-8")
    papers, topics = charts(page)
    # January, an empty February, March: one bar each, with its number in a tooltip.
    bars = [r.find(f"{SVG}title").text for r in papers.iter(f"{SVG}rect")]  # type: ignore[union-attr]
    assert bars == ["2025-01: 3 papers", "2025-02: 0 papers", "2025-03: 2 papers"]
    assert papers.get("role") == "img" and papers.find(f"{SVG}title").text == "Papers per month"  # type: ignore[union-attr]
    # The topic name comes through the XML intact, escaped in the source.
    labels = [t.text for t in topics.iter(f"{SVG}text")]
    assert 'Apples <&> "Pears"' in labels and "Plums" in labels
    assert 'Apples <&> "Pears"' not in page
    cells = [r.find(f"{SVG}title").text for r in topics.iter(f"{SVG}rect")]  # type: ignore[union-attr]
    assert 'Apples <&> "Pears", 2025-01: 2 of 3 papers (67%)' in cells
    assert "Plums, 2025-03: 1 of 2 papers (50%)" in cells
    project.mkdocs()
    text = text_of(project.page("trends/"))
    assert "March 2025 2 1 1" in text and "February 2025 0 0 0" in text and "January 2025 3 2 1" in text
    assert "the 1 paper of undated digests only is not counted" in text


def test_samples_trends_agree_with_the_archive(built_samples: Project) -> None:
    text = text_of(built_samples.page("trends/"))
    assert "March 2025 247" in text  # as the archive's month count
    assert "March 2025 — 247 papers" in text_of(built_samples.page("archive/"))
    html = built_samples.page("trends/")
    assert html.count('role="img"') == 2
    assert 'href="../topics/large-language-models/"' in html


def test_no_dates_no_charts(project: Project) -> None:
    project.write_digest("undated.txt", "A Paper\nAn abstract.\n")
    project.generate()
    page = (project.docs / "trends.md").read_text(encoding="utf-8")
    assert "<svg" not in page and "No dated digests yet" in page
