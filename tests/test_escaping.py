"""Digest text is data: hostile titles and abstracts show literally in the built HTML."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from conftest import Project
from test_site import text_of

HOSTILE = [
    (
        "The Hitchhiker's Guide to Human Alignment with *PO",
        "We study *PO methods and _underscores_ and **bold** claims.",
    ),
    (
        "Attack <img src=x onerror=alert(1)> and </title><script>alert(2)</script>",
        "An abstract holding <img src=x onerror=alert(3)> and <script>alert(4)</script> and &lt;b&gt; and &amp;.",
    ),
    (
        "Links [click](javascript:alert(5)) and ![img](http://x/y.png) | a | b |",
        "[a link](https://evil.example/) and <https://auto.example/> and `code` and | c | d | and {: onclick=x }",
    ),
    (
        "# Not a heading {{ 7*7 }} {% raw %} ---",
        "> not a quote {{ config }} {% for x in y %}x{% endfor %} [^1] *[HTML]: abbr ==mark== ~~del~~ ++key++ :smile:",
    ),
    (
        "1. Not a list item",
        "Math $<img src=x onerror=alert(6)>$ and $\\href{javascript:alert(7)}{x}$ and $$a<b$$ stays math. "
        'Bad URL https://x.example/"onmouseover="alert(8) and javascript:alert(9) end.',
    ),
    (
        "Dollars in URLs \u202eevil\u202c and a zero\u200bwidth space",
        "See https://ex.example/$a$1 and http://y.example/9,$b$2 and https://z.example/\u200bhidden here.",
    ),
]


SEARCH_LINKS = ("https://arxiv.org/search/?query=", "https://huggingface.co/papers?q=")
AUTOLINKED = {
    "https://evil.example/",
    "https://auto.example/",
    "https://x.example/",
    "https://ex.example/$a$1",
    "http://y.example/9,$b$2",
    "https://z.example/",
}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def article(html: str) -> str:
    """The page's content area: what the generator's Markdown became."""
    return html.split('<article class="md-content__inner md-typeset">')[1].split("</article>")[0]


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Project:
    from conftest import make_project

    project = make_project(tmp_path_factory.mktemp("hostile") / "project")
    project.write_digest("2025-01-02.txt", "".join(f"{t}\n\n{a}\n\n" for t, a in HOSTILE))
    project.generate()
    project.mkdocs()
    return project


def paper_pages(project: Project) -> dict[str, str]:
    data = json.loads((project.docs / "papers.json").read_text(encoding="utf-8"))
    return {p["title"]: project.page(p["url"]) for p in data["papers"]}


def test_no_live_markup_from_digest_text(hostile_site: Project) -> None:
    pages = {
        **paper_pages(hostile_site),
        "day": hostile_site.page("archive/2025-01-02/"),
        "home": hostile_site.page(""),
    }
    for name, html in pages.items():
        body = article(html)
        # The one code block is the paper's BibTeX entry, and it holds text only.
        for entry in re.findall(r'<pre class="pa-bibtex"><code>(.*?)</code></pre>', body, re.S):
            assert "<" not in entry and ">" not in entry, (name, entry)
        body = re.sub(r'<pre class="pa-bibtex"><code>.*?</code></pre>', "", body, flags=re.S)
        for tag, attrs in tags_of(body):
            assert tag not in {
                "img",
                "script",
                "em",
                "strong",
                "table",
                "blockquote",
                "code",
                "sup",
                "abbr",
                "mark",
                "del",
                "ins",
                "kbd",
                "ol",
                "hr",
            }, (name, tag)
            assert not [a for a in attrs if a.startswith("on")], (name, tag, attrs)
            href = attrs.get("href") or ""
            assert not href.lower().startswith(("javascript:", "data:")), (name, href)
            if href.startswith("http") and not href.startswith(SEARCH_LINKS):
                # The only other outbound links are URLs written in an abstract, linked as themselves.
                assert href in AUTOLINKED, href
        assert len(re.findall(r"<h1[ >]", article(html))) == 1, name


def test_titles_and_abstracts_show_literally(hostile_site: Project) -> None:
    pages = paper_pages(hostile_site)
    assert len(pages) == len(HOSTILE)
    for title, abstract in HOSTILE:
        # Bidi overrides are the one thing taken out: they would make text read other than it is.
        title = title.replace("\u202e", "").replace("\u202c", "")
        html = pages[title]
        content = text_of(article(html))
        assert content.startswith(" ".join(title.split()) + "¶"), content[:200]
        assert " ".join(abstract.split()) in content
        assert f"<title>{escape_text(title)} - Daily Papers Archive</title>" in html


def test_urls_in_abstracts_stop_at_quotes_and_brackets(hostile_site: Project) -> None:
    data = json.loads((hostile_site.docs / "papers.json").read_text(encoding="utf-8"))
    assert {link["url"] for p in data["papers"] for link in p["links"]} == AUTOLINKED


def test_dollars_in_urls_do_not_become_math(hostile_site: Project) -> None:
    for html in [*paper_pages(hostile_site).values(), hostile_site.page("archive/2025-01-02/")]:
        for tag, attrs in tags_of(article(html)):
            assert "arithmatex" not in (attrs.get("href") or ""), (tag, attrs)
            assert "arithmatex" not in (attrs.get("class") or "") or tag == "span"


def test_math_stays_text_inside_its_span(hostile_site: Project) -> None:
    html = paper_pages(hostile_site)["1. Not a list item"]
    spans = re.findall(r'<span class="arithmatex">(.*?)</span>', html)
    assert spans == [
        "&#36;&#60;img src&#61;x onerror&#61;alert&#40;6&#41;&#62;&#36;",
        "&#36;&#92;href&#123;javascript&#58;alert&#40;7&#41;&#125;&#123;x&#125;&#36;",
        "&#36;&#36;a&#60;b&#36;&#36;",
    ]


def test_search_index_carries_digest_text_as_data(hostile_site: Project) -> None:
    """The search index holds titles and abstracts as JSON strings, exactly as papers.json has them."""
    data = json.loads((hostile_site.docs / "papers.json").read_text(encoding="utf-8"))
    expected = sorted((p["url"], p["title"], p["abstract"]) for p in data["papers"])
    built = hostile_site.site / "search-index" / "docs"
    found = sorted(
        (doc[0], doc[1], doc[4])
        for path in built.glob("*.json")
        for doc in json.loads(path.read_text(encoding="utf-8"))
    )
    assert found == expected


def escape_text(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;").replace("'", "&#39;")
    )
