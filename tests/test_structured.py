"""JSON (Hugging Face daily_papers) and YAML digests: parsing, errors, lenient mode, merging, pages."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, Project

from generator.archive import build_archive
from generator.bibtex import entry as bibtex_entry
from generator.bibtex import escape
from generator.errors import GeneratorError
from generator.model import Appearance, Details, Paper
from generator.parse import parse_digest
from generator.structured import arxiv_id, parse_json_digest, parse_yaml_digest
from generator.tags import assign_tags
from generator.taxonomy import parse_taxonomy

EXAMPLE = REPO / "tests" / "fixtures" / "hf_daily_papers_item.json"


def test_the_shared_daily_papers_record_parses() -> None:
    digest = parse_json_digest(EXAMPLE.read_text(encoding="utf-8"), "hf.json")
    (entry,) = digest.entries
    assert entry.title == "Why Language Models Hallucinate"
    assert entry.line == 2  # the item's opening brace
    assert entry.abstract.startswith("Like students facing hard exam questions, large language models sometimes guess")
    assert "\n" not in entry.abstract and "  " not in entry.abstract  # hard line breaks undone
    assert entry.abstract.endswith("toward more trustworthy AI systems.")
    d = entry.details
    assert d.arxiv_id == "2509.04664"
    assert d.authors == ("Adam Tauman Kalai", "Ofir Nachum", "Santosh S. Vempala", "Edwin Zhang")
    assert (d.upvotes, d.published, d.github, d.github_stars, d.comments) == (26, dt.date(2025, 9, 4), None, None, None)
    assert d.ai_keywords == ("hallucinations", "binary classification", "uncertain responses", "trustworthy AI systems")
    assert d.ai_summary and d.ai_summary.startswith("Language models produce incorrect statements")
    assert (digest.own_date, digest.own_date_line) == (dt.date(2025, 9, 8), 2)


def item(**paper: object) -> dict[str, object]:
    return {"paper": {"id": "2501.00001", "title": "T", "summary": "S.", **paper}}


def test_optional_fields_may_be_absent_and_unknown_ones_are_ignored() -> None:
    text = json.dumps(
        [
            {"paper": {"title": "Only\na title", "summary": "And an\nabstract."}},
            {
                "paper": {"id": "2501.00002v3", "githubRepo": "https://github.com/a/b", "githubStars": 7, "x": [1]},
                "title": "Item-level title",
                "summary": "Item-level summary.",
                "numComments": 4,
                "somethingNew": {"nested": True},
            },
        ],
        indent=1,
    )
    first, second = parse_json_digest(text, "d.json").entries
    assert (first.title, first.abstract, first.details) == ("Only a title", "And an abstract.", Details())
    assert (second.title, second.abstract) == ("Item-level title", "Item-level summary.")
    assert second.details.arxiv_id == "2501.00002"  # version dropped
    assert (second.details.github, second.details.github_stars, second.details.comments) == (
        "https://github.com/a/b",
        7,
        4,
    )


def test_wrong_kinds_and_unsafe_urls_are_ignored_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    text = json.dumps([item(upvotes="many", projectPage="javascript:alert(1)", githubRepo="https://github.com/ok/ok")])
    with caplog.at_level(logging.WARNING, logger="generator"):
        (entry,) = parse_json_digest(text, "d.json", "digests/d.json").entries
    assert entry.details.upvotes is None and entry.details.project_page is None
    assert entry.details.github == "https://github.com/ok/ok"
    assert "digests/d.json:1: item 1: ignoring 'upvotes' (not a whole number)" in caplog.text
    assert "digests/d.json:1: item 1: 'javascript:alert(1)' is not an http(s) URL; ignored" in caplog.text


def error_of(parse: Callable[[str, str], object], text: str, name: str, pattern: str) -> str:
    """The one-line error a parser gives for a digest's text, checked against a pattern."""
    with pytest.raises(GeneratorError) as raised:
        parse(text, name)
    message = raised.value.location_message()
    assert re.search(pattern, message), message
    return message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[{"paper": {"title": "A", "summary": "B"}},\n {"paper": {"title": "C" "summary"}}]',
            r"^d.json:2: invalid JSON: ",
        ),
        ('{"paper": {}}', r"^d.json:1: expected a list of daily_papers items"),
        (
            '[\n  {"paper": {"title": "A", "summary": "B."}},\n  {"paper": {"summary": "No title."}}\n]',
            r"^d.json:3: item 2: no title$",
        ),
        ('[\n\n  {"paper": {"title": "A"}}]', r"^d.json:3: item 1: no summary \(the abstract\)$"),
        ("[1]", r"^d.json:1: item 1: expected an object with a 'paper'$"),
        ('[{"paper": "x"}]', r"^d.json:1: item 1: 'paper' must be an object$"),
    ],
)
def test_malformed_json_is_one_line_naming_file_line_and_item(text: str, message: str) -> None:
    assert "\n" not in error_of(parse_json_digest, text, "d.json", message)


YAML_DIGEST = """\
date: 2025-03-20
papers:
  - title: A Hand-Written Paper
    abstract: >
      Folded over
      two lines.
    id: arXiv:2503.01234v2
    authors: [Ada Lovelace, "Alan Turing"]
    links:
      - https://github.com/example/repo
      - {kind: project, url: "https://example.org/p"}
    tags: [Reasoning]
  - title: yes
    abstract: 1.0
"""


def test_yaml_digest_keeps_every_value_as_written() -> None:
    digest = parse_yaml_digest(YAML_DIGEST, "hand.yaml")
    first, second = digest.entries
    assert (digest.own_date, digest.own_date_line) == (dt.date(2025, 3, 20), 1)
    assert (first.title, first.abstract, first.line) == ("A Hand-Written Paper", "Folded over two lines.", 3)
    assert first.details.arxiv_id == "2503.01234"
    assert first.details.authors == ("Ada Lovelace", "Alan Turing")
    assert [(link.kind, link.url) for link in first.details.links] == [
        ("code", "https://github.com/example/repo"),
        ("project", "https://example.org/p"),
    ]
    assert first.details.tags == ("Reasoning",)
    assert (second.title, second.abstract) == ("yes", "1.0")  # YAML's implicit types never apply


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("papers: [\n", r"^h.yaml:2: invalid YAML: "),
        (
            "date: 2025-02-30\npapers: []\n",
            r"^h.yaml:1: date must be a real date written YYYY-MM-DD, got '2025-02-30'$",
        ),
        ("papers:\n  - title: A\n    abstarct: B\n", r"^h.yaml:3: paper 1: unknown key 'abstarct' \(expected one of: "),
        ("papers:\n  - title: A\n    abstract: B\n  - abstract: C\n", r"^h.yaml:4: paper 2: no title$"),
        ("papers:\n  - title: A\n", r"^h.yaml:2: paper 1: no abstract$"),
        ("papers:\n  - {title: A, abstract: B, id: 12345}\n", r"^h.yaml:2: paper 1: '12345' is not an arXiv id$"),
        (
            "papers:\n  - title: A\n    abstract: B\n    links: ['javascript:alert(1)']\n",
            r"^h.yaml:4: paper 1: 'javascript:alert\(1\)' is not an http\(s\) URL$",
        ),
        ("title: A\n", r"^h.yaml:1: the digest: unknown key 'title'"),
        ("date: 2025-01-01\n", r"^h.yaml:1: no 'papers' list$"),
        ("", r"^h.yaml: empty YAML digest"),
    ],
)
def test_bad_yaml_digests_are_one_line_errors(text: str, message: str) -> None:
    error_of(parse_yaml_digest, text, "h.yaml", message)


def test_arxiv_ids() -> None:
    assert arxiv_id("2509.04664") == arxiv_id("arXiv:2509.04664v3") == "2509.04664"
    assert arxiv_id("hep-th/9901001v1") == "hep-th/9901001"
    assert arxiv_id("25.04664") is None and arxiv_id("see 2509.04664") is None


def dated(digest_: object, date: dt.date) -> object:
    from dataclasses import replace

    return replace(digest_, date=date)  # type: ignore[type-var]


def test_a_json_record_and_a_text_entry_of_the_same_paper_become_one(caplog: pytest.LogCaptureFixture) -> None:
    record = parse_json_digest(EXAMPLE.read_text(encoding="utf-8"), "2025-09-08.json")
    text = parse_digest("Why Language Models Hallucinate\n\nA short copy of the abstract.\n", "old.txt")
    with caplog.at_level(logging.WARNING, logger="generator"):
        archive, registry = build_archive(
            [dated(text, dt.date(2025, 9, 1)), dated(record, dt.date(2025, 9, 8))],  # type: ignore[list-item]
            {"why language models hallucinate": "why-language-models-hallucinate"},
        )
    (paper,) = archive.papers
    assert paper.id == "why-language-models-hallucinate"  # the published URL stays
    assert [a.digest for a in paper.appearances] == ["2025-09-08.json", "old.txt"]
    assert paper.details.arxiv_id == "2509.04664" and len(paper.details.authors) == 4
    assert paper.abstract.startswith("Like students")  # the fuller abstract
    assert [v.abstract for v in paper.variants] == ["A short copy of the abstract."]
    assert registry == {"why language models hallucinate": "why-language-models-hallucinate"}


def test_arxiv_ids_decide_over_titles(caplog: pytest.LogCaptureFixture) -> None:
    renamed = parse_yaml_digest(
        "papers:\n  - {title: An Old Title, abstract: Text., id: 2501.00001, authors: [A, B, C]}\n"
        "  - {title: Shared Title, abstract: One., id: 2501.00002}\n",
        "a.yaml",
    )
    newer = parse_json_digest(
        json.dumps(
            [item(title="A New Title", summary="Text.", upvotes=3), item(id="2501.00003", title="Shared title")]
        ),
        "b.json",
    )
    loose = parse_digest("Shared Title\nOne.\n", "c.txt")
    with caplog.at_level(logging.WARNING, logger="generator"):
        archive, _ = build_archive(
            [
                dated(renamed, dt.date(2025, 1, 1)),
                dated(newer, dt.date(2025, 1, 2)),
                dated(loose, dt.date(2025, 1, 3)),
            ],  # type: ignore[list-item]
            {},
        )
    by_id = {p.details.arxiv_id: p for p in archive.papers}
    assert set(by_id) == {"2501.00001", "2501.00002", "2501.00003"}
    same = by_id["2501.00001"]
    assert same.title == "An Old Title" and same.details.upvotes == 3 and same.details.authors == ("A", "B", "C")
    assert "arXiv 2501.00001 has other titles elsewhere ('A New Title')" in caplog.text
    # One title, two ids: two papers; the id-less text entry joins the older one.
    assert "the title 'Shared Title' comes with different arXiv ids (2501.00002, 2501.00003)" in caplog.text
    assert [a.digest for a in by_id["2501.00002"].appearances] == ["c.txt", "a.yaml"]
    assert by_id["2501.00002"].id == "shared-title" and by_id["2501.00003"].id != "shared-title"


def test_ai_keywords_add_evidence_but_never_make_a_tag_alone() -> None:
    taxonomy = parse_taxonomy(
        "settings: {min_papers: 1}\ntags:\n  - name: Quantisation\n    description: Q.\n    words: [quantization]\n",
        "taxonomy.yaml",
    )

    def paper(abstract: str, keywords: tuple[str, ...]) -> Paper:
        return Paper(
            id=abstract[:5],
            key=abstract,
            title="A title",
            abstract=abstract,
            appearances=(Appearance("d.json", None, 1),),
            details=Details(ai_keywords=keywords),
        )

    once = paper("We use quantization once.", ())
    helped = paper("Mixed precision with quantization.", ("post-training quantization",))
    alone = paper("Nothing on topic here.", ("quantization", "quantization tricks"))
    tags = assign_tags([once, helped, alone], taxonomy)
    assert tags == {once.id: (), helped.id: ("Quantisation",), alone.id: ()}


def test_bibtex_escapes_digest_text_and_cites_arxiv() -> None:
    assert escape("50% {of} \\x & $y$_1 #2 ^ ~") == (
        r"50\% \textbraceleft{}of\textbraceright{} \textbackslash{}x \& \$y\$\_1 \#2 \textasciicircum{} \textasciitilde{}"
    )
    paper = Paper(
        id="a-paper",
        key="k",
        title="Braces } { and 100% $math$",
        abstract="A.",
        appearances=(Appearance("d.json", dt.date(2025, 9, 8), 1),),
        details=Details(arxiv_id="2509.04664", authors=("Ada Lovelace", "Tom and Jerry")),
    )
    entry = bibtex_entry(paper)
    assert entry.startswith("@misc{a-paper,\n")
    assert "  title = {{Braces \\textbraceright{} \\textbraceleft{} and 100\\% \\$math\\$}},\n" in entry
    assert "  author = {Ada Lovelace and {Tom and Jerry}},\n" in entry
    assert "  year = {2025},\n  eprint = {2509.04664},\n  archivePrefix = {arXiv},\n" in entry
    assert "  url = {https://arxiv.org/abs/2509.04664},\n  month = sep,\n" in entry
    assert "abstract" not in entry and bibtex_entry(paper, full=True).endswith("  abstract = {A.},\n}\n")
    assert entry.count("{") == entry.count("}")


@pytest.fixture(scope="module")
def structured_site(tmp_path_factory: pytest.TempPathFactory) -> Project:
    from conftest import make_project

    project = make_project(tmp_path_factory.mktemp("structured") / "project")
    project.write_digest("2025-09-08.json", EXAMPLE.read_text(encoding="utf-8"))
    project.write_digest(
        "hand.yaml",
        "date: 2025-09-01\npapers:\n"
        "  - title: Why Language Models Hallucinate\n    abstract: A hand copy.\n    authors: [Adam Tauman Kalai]\n"
        "  - title: A <b>bold</b> paper by José\n    abstract: About $x<y$.\n"
        "    authors: ['<img src=x onerror=alert(1)>', José Li, Jose Li]\n",
    )
    project.write_digest("2025-09-02.txt", "A Text Paper\n\nWith an abstract.\n")
    project.write_digest(
        "2025-09-03.json",
        json.dumps(
            [
                item(
                    id="2509.00001",
                    title="Code Release",
                    githubRepo="https://github.com/ex/code",
                    githubStars=120,
                    projectPage="https://ex.github.io/code/",
                    upvotes=1,
                )
            ]
        ),
    )
    project.generate()
    project.mkdocs()
    return project


def test_paper_pages_show_authors_arxiv_links_upvotes_and_bibtex(structured_site: Project) -> None:
    html = structured_site.page("papers/why-language-models-hallucinate/")
    for name, slug in [("Adam Tauman Kalai", "adam-tauman-kalai"), ("Edwin Zhang", "edwin-zhang")]:
        assert f'<a href="../../authors/{slug}/">{name}</a>' in html
    assert '<a href="https://arxiv.org/abs/2509.04664">abstract</a>' in html
    assert '<a href="https://arxiv.org/pdf/2509.04664">PDF</a>' in html
    assert '<a href="https://huggingface.co/papers/2509.04664">' in html
    assert "26 upvotes on Hugging Face" in html
    bib = re.search(r'<pre class="pa-bibtex"><code>(.*?)</code></pre>', html, re.S)
    assert bib is not None
    import html as html_module

    text = html_module.unescape(bib.group(1))
    assert text.startswith("@misc{why-language-models-hallucinate,\n")
    assert "eprint = {2509.04664}" in text and "archivePrefix = {arXiv}" in text
    assert "author = {Adam Tauman Kalai and Ofir Nachum and Santosh S. Vempala and Edwin Zhang}" in text


def test_github_stars_and_project_page_are_shown(structured_site: Project) -> None:
    from test_site import text_of

    html = structured_site.page("papers/code-release/")
    assert '<a href="https://github.com/ex/code">' in html and '<a href="https://ex.github.io/code/">' in html
    text = text_of(html)
    assert "Code: https://github.com/ex/code (120 stars on GitHub)" in text
    assert "Project page: https://ex.github.io/code/" in text
    assert "1 upvote on Hugging Face" in text


def test_author_pages_list_their_papers(structured_site: Project) -> None:
    page = structured_site.page("authors/adam-tauman-kalai/")
    assert "1 paper in the archive" in page
    assert 'href="../../papers/why-language-models-hallucinate/"' in page
    index = structured_site.page("authors/")
    assert "6 authors, by name" in index  # José Li and Jose Li are one author
    joses = structured_site.page("authors/jose-li/")
    assert '<h1 id="jose-li">Jose Li' in joses and "A &#60;b&#62;bold&#60;/b&#62; paper by José" in joses
    hostile = structured_site.page("papers/a-b-bold-b-paper-by-jose/")
    assert "&#60;img src&#61;x onerror&#61;alert&#40;1&#41;&#62;</a>" in hostile  # the name, shown as text
    assert "<img" not in hostile.split('<article class="md-content__inner md-typeset">')[1]


def test_papers_json_carries_new_fields_only_when_known(structured_site: Project) -> None:
    papers = {
        p["title"]: p for p in json.loads((structured_site.docs / "papers.json").read_text(encoding="utf-8"))["papers"]
    }
    rich = papers["Why Language Models Hallucinate"]
    assert rich["arxiv_id"] == "2509.04664" and rich["upvotes"] == 26 and rich["published"] == "2025-09-04"
    assert rich["authors"][0] == "Adam Tauman Kalai" and "hallucinations" in rich["ai_keywords"]
    assert [a["digest"] for a in rich["appearances"]] == ["2025-09-08.json", "hand.yaml"]
    plain = papers["A Text Paper"]
    assert not {"arxiv_id", "authors", "upvotes", "github", "published", "ai_keywords"} & set(plain)


def test_json_digest_is_dated_by_its_name_over_its_own_date(project: Project) -> None:
    project.write_digest("2025-09-10.json", EXAMPLE.read_text(encoding="utf-8"))
    project.write_digest(
        "undated-name.json", EXAMPLE.read_text(encoding="utf-8").replace("Why Language", "How Language")
    )
    result = project.generate()
    assert "2025-09-10.json:2: the digest says 2025-09-08 but is dated 2025-09-10; using 2025-09-10" in result.stderr
    assert (project.docs / "archive" / "2025-09-10.md").is_file()
    assert (project.docs / "archive" / "2025-09-08.md").is_file()  # from submittedOnDailyAt


def test_lenient_mode_leaves_out_what_cannot_be_read(project: Project) -> None:
    project.write_digest("2025-01-01.txt", "Good Paper\nFine.\n")
    project.write_digest(
        "2025-01-02.json",
        '[\n  {"paper": {"title": "Kept", "summary": "Yes."}},\n  {"paper": {"summary": "No title"}}\n]',
    )
    project.write_digest("2025-01-03.yaml", "papers: [\n")
    strict = project.generate(check=False)
    assert (strict.returncode, strict.stderr) == (1, "Error: digests/2025-01-02.json:3: item 2: no title\n")
    assert not (project.docs / "papers").exists()  # nothing written
    lenient = project.generate("--lenient")
    assert lenient.stderr.splitlines() == [
        "Warning: digests/2025-01-02.json:3: item 2: no title; left out (lenient mode)",
        "Warning: digests/2025-01-03.yaml:2: invalid YAML: expected the node content, but found '<stream end>'; "
        "digest left out (lenient mode)",
    ]
    assert sorted(p.name for p in (project.docs / "papers").iterdir()) == ["good-paper.md", "kept.md"]


def test_unknown_hand_given_topic_is_named(project: Project) -> None:
    project.write_digest("2025-01-01.yaml", "papers:\n  - {title: T, abstract: A., tags: [No Such Topic]}\n")
    result = project.generate()
    assert "Warning: digests/2025-01-01.yaml:2: topic 'No Such Topic' is not in taxonomy.yaml; ignored" in result.stderr


def test_manifest_is_not_read_as_a_digest(tmp_path: Path) -> None:
    from generator.parse import find_digest_files

    (tmp_path / "digests.yaml").write_text("year: 2025\n")
    (tmp_path / "a.yaml").write_text("papers: []\n")
    (tmp_path / "b.json").write_text("[]")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "digests.yaml").write_text("papers: []\n")
    assert [n for n, _ in find_digest_files(tmp_path)] == ["a.yaml", "b.json", "sub/digests.yaml"]
