"""What a person sees, in headless Chromium (Debian's package, driven by Playwright)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Project
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright
from sandbox import CHROMIUM, CHROMIUM_FLAGS, serve


@pytest.fixture(scope="module")
def site_url(built_samples: Project) -> Iterator[str]:
    """The built samples site."""
    with serve(built_samples.site) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page that records console errors and uncaught exceptions."""
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    page.errors = errors  # type: ignore[attr-defined]
    yield page
    context.close()


def results(page: Page, query: str) -> list[str]:
    """The titles the search page shows once it has answered `query`."""
    page.locator(f'#pa-search[data-shown="{query}"]').wait_for(timeout=10_000)
    return page.locator(".pa-result__link").all_inner_texts()


def test_search_for_an_abstract_phrase_reaches_the_paper(page: Page, site_url: str) -> None:
    page.goto(site_url)
    page.fill("#pa-search-input", "model-data feedback loops")
    page.press("#pa-search-input", "Enter")
    page.wait_for_url("**/search/?q=*")
    assert results(page, "model-data feedback loops")[0].startswith("Is Model Collapse Inevitable?")
    first = page.locator(".pa-result").first
    assert re.search(r"2025-03-\d\d|undated", first.locator(".pa-result__meta").inner_text())
    assert first.locator(".pa-result__snippet mark").count() >= 3  # model, data, feedback, loops marked
    first.locator(".pa-result__link").click()
    page.wait_for_load_state()
    assert "/papers/is-model-collapse-inevitable" in page.url
    assert page.locator("h1").inner_text().startswith("Is Model Collapse Inevitable?")
    assert page.errors == []  # type: ignore[attr-defined]


def test_typing_shows_results_as_you_type(page: Page, site_url: str) -> None:
    """The word being typed matches longer words; the address keeps the query."""
    page.goto(site_url + "search/")
    page.locator("#pa-search-query").click()
    page.keyboard.type("grokk", delay=20)
    titles = results(page, "grokk")
    assert titles and all("grokking" in t.lower() for t in titles[:2])
    assert "q=grokk" in page.url
    assert page.errors == []  # type: ignore[attr-defined]


def test_title_matches_rank_first(page: Page, site_url: str, built_samples: Project) -> None:
    data = json.loads((built_samples.docs / "papers.json").read_text(encoding="utf-8"))
    in_title = sum(1 for p in data["papers"] if "distillation" in p["title"].lower())
    page.goto(site_url + "search/?q=distillation%20")
    titles = results(page, "distillation ")
    assert in_title >= 3 and len(titles) == 10
    assert all("distillation" in t.lower() for t in titles[: min(in_title, 10)])
    assert page.errors == []  # type: ignore[attr-defined]


def test_every_word_must_match_unless_none_has_all(page: Page, site_url: str) -> None:
    page.goto(site_url + "search/?q=grokking%20diffusion%20")
    results(page, "grokking diffusion ")
    assert page.locator(".pa-search-status").inner_text().startswith("No paper has all these words")
    page.goto(site_url + "search/?q=scaling%20laws%20")
    titles = results(page, "scaling laws ")
    status = page.locator(".pa-search-status").inner_text()
    assert re.fullmatch(r"\d+ papers", status) and titles
    assert page.errors == []  # type: ignore[attr-defined]


def test_filters_by_topic_year_and_month(page: Page, site_url: str, built_samples: Project) -> None:
    data = json.loads((built_samples.docs / "papers.json").read_text(encoding="utf-8"))
    page.goto(site_url + "search/?q=diffusion%20")
    results(page, "diffusion ")
    topics = page.locator("#pa-search-topic option").all_inner_texts()
    assert topics[0] == "All topics" and any(t.startswith("Diffusion models (") for t in topics)
    page.select_option("#pa-search-topic", label=next(t for t in topics if t.startswith("Diffusion models (")))
    page.wait_for_url("**topic=diffusion-models*")
    page.locator(".pa-result").first.wait_for()
    for meta in page.locator(".pa-result__meta").all_inner_texts():
        assert "Diffusion models" in meta
    # No words: the month's papers, newest first; the count is the month's count.
    march = {p["id"] for p in data["papers"] if any((a["date"] or "").startswith("2025-03") for a in p["appearances"])}
    page.goto(site_url + "search/?year=2025&month=2025-03")
    page.locator('#pa-search[data-shown=""] .pa-result').first.wait_for()
    assert page.locator(".pa-search-status").inner_text() == f"{len(march)} papers"
    assert page.locator("#pa-search-month").input_value() == "2025-03"
    assert page.errors == []  # type: ignore[attr-defined]


def test_search_finds_papers_by_author(page: Page, tmp_path: Path) -> None:
    from conftest import REPO, make_project

    project = make_project(tmp_path / "p")
    project.write_digest("2025-09-08.json", (REPO / "tests" / "fixtures" / "hf_daily_papers_item.json").read_bytes())
    project.write_digest("2025-09-09.txt", "Vempala Lemmas Revisited\n\nNot by him, but about his lemmas.\n")
    project.generate()
    project.mkdocs()
    with serve(project.site) as url:
        page.goto(url + "search/?q=vempala")
        titles = results(page, "vempala")
        assert titles == ["Vempala Lemmas Revisited", "Why Language Models Hallucinate"]  # title first
        authors = page.locator(".pa-result__authors").all_inner_texts()
        assert authors == ["Adam Tauman Kalai, Ofir Nachum, Santosh S. Vempala et al."]
        page.goto(url + "authors/")
        page.click("text=Santosh S. Vempala")
        page.wait_for_url("**/authors/santosh-s-vempala/")
        page.click("text=Why Language Models Hallucinate")
        page.wait_for_url("**/papers/why-language-models-hallucinate/")
        assert page.locator(".pa-bibtex code").inner_text().startswith("@misc{why-language-models-hallucinate,")
    assert page.errors == []  # type: ignore[attr-defined]


def test_browser_and_generator_read_text_alike(page: Page, site_url: str) -> None:
    """search.js turns a query into the terms the generator indexed the same text under."""
    from generator.search import STOP_WORDS, terms

    samples = [
        "Fine-tuning LLMs with losses, studies and analyses of the Models",
        "Café naïve résumé ÉCOLE Straße",
        "x² ½ Ⅳ 3D-aware GPT-4o's RL/URL (MoE) state-of-the-art",
        "Δ-learning αβ Привет мир 中文 模型 e-mail",
        "  the   and of  ",
    ]
    page.goto(site_url + "search/")
    for text in samples:
        browser = page.evaluate("([t, s]) => window.paSearchText.terms(t, new Set(s))", [text, sorted(STOP_WORDS)])
        assert browser == terms(text), text


def test_walk_home_archive_day_paper_related_topic(page: Page, site_url: str) -> None:
    page.goto(site_url)
    page.click("text=Browse the archive by date")
    page.wait_for_url("**/archive/")
    page.click("text=Friday 14 March 2025")
    page.wait_for_url("**/archive/2025-03-14/")
    page.locator("article li a[href*='/papers/']").first.click()
    page.wait_for_url("**/papers/**")
    related = page.locator("#related-papers ~ ul a").first
    title = related.inner_text()
    related.click()
    page.wait_for_url("**/papers/**")
    assert page.locator("h1").inner_text().rstrip("¶") == title
    topic = page.locator("p.pa-tags a").first
    name = topic.inner_text()
    topic.click()
    page.wait_for_url("**/topics/**")
    assert page.locator("h1").inner_text().startswith(name)
    assert page.errors == []  # type: ignore[attr-defined]


def test_math_renders_without_errors(page: Page, site_url: str) -> None:
    page.goto(site_url + "papers/scaling-law-with-learning-rate-annealing/")
    page.locator(".arithmatex .katex").first.wait_for(timeout=5_000)
    assert page.errors == []  # type: ignore[attr-defined]


def test_hostile_title_is_inert(page: Page, tmp_path: Path) -> None:
    """No digest text becomes live script in a real browser."""
    from conftest import make_project

    project = make_project(tmp_path / "p")
    project.write_digest(
        "2025-01-02.txt",
        "Evil <img src=x onerror=window.__pwned=1> </title><script>window.__pwned=2</script>\n\n"
        "Abstract <img src=x onerror=window.__pwned=3> $<img src=x onerror=window.__pwned=4>$\n",
    )
    project.generate()
    project.mkdocs()
    with serve(project.site) as url:
        for path in sorted(project.site.rglob("*.html")):
            page.goto(url + path.relative_to(project.site).as_posix())
            assert page.evaluate("window.__pwned") is None, path
        page.goto(url + "search/?q=evil")
        assert "<img src=x onerror=window.__pwned=1>" in results(page, "evil")[0]
        page.goto(url + "search/?q=abstract%20img")
        results(page, "abstract img")
        assert "<img src=x onerror=window.__pwned=3>" in page.locator(".pa-result__snippet").first.inner_text()
        assert page.evaluate("window.__pwned") is None
    assert page.errors == []  # type: ignore[attr-defined]
