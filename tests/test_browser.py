"""What a person sees, in headless Chromium (Debian's package, driven by Playwright)."""

from __future__ import annotations

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


def test_search_for_an_abstract_phrase_reaches_the_paper(page: Page, site_url: str) -> None:
    page.goto(site_url)
    page.fill("#pa-search-input", "model-data feedback loops")
    page.press("#pa-search-input", "Enter")
    page.wait_for_url("**/search/?q=*")
    result = page.locator(".pagefind-ui__result-link").first
    result.wait_for(timeout=10_000)
    assert "Is Model Collapse Inevitable?" in result.inner_text()
    assert "2025-03-" in result.inner_text() or "undated" in result.inner_text()
    assert page.locator(".pagefind-ui__result-excerpt").first.inner_text().strip()
    result.click()
    page.wait_for_load_state()
    assert "/papers/is-model-collapse-inevitable" in page.url
    assert page.locator("h1").inner_text().startswith("Is Model Collapse Inevitable?")
    assert page.errors == []  # type: ignore[attr-defined]


def test_title_matches_rank_first(page: Page, site_url: str) -> None:
    page.goto(site_url + "search/?q=grokking")
    first = page.locator(".pagefind-ui__result-link").first
    first.wait_for(timeout=10_000)
    assert "grokking" in first.inner_text().lower()
    assert page.errors == []  # type: ignore[attr-defined]


def test_search_filters_by_topic(page: Page, site_url: str) -> None:
    page.goto(site_url + "search/?q=diffusion")
    page.locator(".pagefind-ui__result-link").first.wait_for(timeout=10_000)
    filters = page.locator(".pagefind-ui__filter-name")
    assert {"topic", "year", "month"} <= {f.strip().lower() for f in filters.all_inner_texts()}
    assert page.errors == []  # type: ignore[attr-defined]


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
        result = page.locator(".pagefind-ui__result-link").first
        result.wait_for(timeout=10_000)
        assert "<img src=x onerror=window.__pwned=1>" in result.inner_text()
        page.goto(url + "search/?q=abstract")
        page.locator(".pagefind-ui__result-excerpt").first.wait_for(timeout=10_000)
        assert page.evaluate("window.__pwned") is None
    assert page.errors == []  # type: ignore[attr-defined]
