"""Merging entries into papers, and stable URLs."""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections import Counter
from dataclasses import replace

import pytest
from conftest import SAMPLES

from generator.archive import build_archive, with_topics
from generator.errors import GeneratorError
from generator.model import Digest, RelatedPaper, Topic, title_key
from generator.parse import parse_digest
from generator.pipeline import load_archive
from generator.urls import assign_slugs, base_slug, format_registry, parse_registry


def digest(name: str, pairs: list[tuple[str, str]], date: dt.date | None = None) -> Digest:
    return replace(parse_digest("".join(f"{t}\n{a}\n" for t, a in pairs), name), date=date)


@pytest.fixture(scope="module")
def samples():
    archive, _ = load_archive(SAMPLES, SAMPLES / "urls.tsv")
    return archive


def test_samples_have_535_distinct_papers(samples) -> None:
    assert len(samples.papers) == 535
    assert sum(len(p.appearances) for p in samples.papers) == 594


def test_48_papers_appear_in_two_to_four_digests(samples) -> None:
    counts = Counter(len(p.appearances) for p in samples.papers)
    assert sum(n for k, n in counts.items() if k > 1) == 48
    assert max(counts) == 4 and min(counts) == 1


def test_repeated_papers_keep_one_abstract_and_no_variants(samples) -> None:
    assert all(p.variants == () for p in samples.papers)


def test_every_sample_entry_maps_to_exactly_one_paper(samples) -> None:
    by_key = {p.key: p for p in samples.papers}
    assert len(by_key) == len(samples.papers)
    for d in samples.digests:
        for entry in d.entries:
            paper = by_key[title_key(entry.title)]
            assert entry.abstract == paper.abstract
            assert d.name in {a.digest for a in paper.appearances}


def test_ids_are_unique_and_match_the_committed_registry(samples) -> None:
    ids = [p.id for p in samples.papers]
    assert len(set(ids)) == len(ids)
    registry = parse_registry((SAMPLES / "urls.tsv").read_text(encoding="utf-8"), "urls.tsv")
    assert {p.key: p.id for p in samples.papers} == registry


def test_titles_match_across_case_whitespace_and_unicode_form() -> None:
    archive, _ = build_archive(
        [
            digest("a.txt", [("Caf\u00e9  Attention", "Same.")], dt.date(2025, 1, 1)),
            digest("b.txt", [("CAFE\u0301 attention", "Same.")], dt.date(2025, 1, 2)),
        ],
        {},
    )
    assert len(archive.papers) == 1
    paper = archive.papers[0]
    assert paper.title == "Caf\u00e9 Attention"
    assert [a.digest for a in paper.appearances] == ["b.txt", "a.txt"]


def test_conflicting_abstracts_are_reported_and_both_kept(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="generator"):
        archive, _ = build_archive(
            [
                digest("a.txt", [("Paper", "The full version, as arXiv has it.")], dt.date(2025, 1, 1)),
                digest("b.txt", [("paper", "A shorter copy.")], dt.date(2025, 1, 2)),
                digest("c.txt", [("PAPER", "A third, equally long take on it!!")], dt.date(2025, 1, 3)),
            ],
            {},
            {"a.txt": "digests/a.txt", "b.txt": "digests/b.txt", "c.txt": "digests/c.txt"},
        )
    (paper,) = archive.papers
    assert paper.title == "Paper"  # the oldest title
    assert paper.abstract == "The full version, as arXiv has it."  # the longest; on a tie, the oldest
    assert [(v.abstract, v.source) for v in paper.variants] == [
        ("A shorter copy.", "b.txt"),
        ("A third, equally long take on it!!", "c.txt"),
    ]
    assert "digests/b.txt:1: same title as digests/a.txt:1 but a different abstract" in caplog.text
    assert "digests/c.txt:1: same title as digests/a.txt:1 but a different abstract" in caplog.text


def test_slug_collisions_do_not_depend_on_input_order() -> None:
    titles = {title_key(t): t for t in ["GPT-4 Technical Report", "GPT 4: Technical Report", "gpt4 technical report"]}
    assert base_slug("GPT-4 Technical Report") == base_slug("GPT 4: Technical Report")
    results = set()
    for seed in range(5):
        items = list(titles.items())
        random.Random(seed).shuffle(items)
        results.add(tuple(sorted(assign_slugs(dict(items), {}).items())))
    assert len(results) == 1
    slugs = dict(next(iter(results)))
    assert len(set(slugs.values())) == 3
    assert "gpt-4-technical-report" in slugs.values()


def test_registered_urls_survive_a_colliding_newcomer() -> None:
    old = assign_slugs({"gpt 4: technical report": "GPT 4: Technical Report"}, {})
    assert old == {"gpt 4: technical report": "gpt-4-technical-report"}
    new = assign_slugs(
        {"gpt 4: technical report": "GPT 4: Technical Report", "gpt-4 technical report": "GPT-4 Technical Report"},
        old,
    )
    assert new["gpt 4: technical report"] == "gpt-4-technical-report"
    assert new["gpt-4 technical report"].startswith("gpt-4-technical-report-")


def test_titles_without_slug_material_get_working_ids() -> None:
    slugs = assign_slugs({"???": "???", "!!!": "!!!", "index": "Index"}, {})
    assert all(s.startswith("paper-") for k, s in slugs.items() if k != "index")
    assert slugs["index"].startswith("index-")
    assert len(set(slugs.values())) == 3


def test_registry_round_trip_and_errors() -> None:
    registry = {"a title": "a-title", "other": "other"}
    assert parse_registry(format_registry(registry), "urls.tsv") == registry
    with pytest.raises(GeneratorError, match=r"^urls.tsv:2: expected 'slug<TAB>normalised title'$"):
        parse_registry("# header\nno tab here\n", "urls.tsv")
    with pytest.raises(GeneratorError, match=r"^urls.tsv:2: URL 'same' is given to two different titles$"):
        parse_registry("same\tone\nsame\ttwo\n", "urls.tsv")


def test_undated_digest_anchors_are_unique() -> None:
    from generator.render import digest_anchors

    anchors = digest_anchors(["a b.txt", "a-b.txt", "c.txt"])
    assert anchors["a b.txt"] == "digest-a-b-txt"
    assert anchors["a-b.txt"].startswith("digest-a-b-txt-")
    assert len(set(anchors.values())) == 3


def test_topics_are_filled_in_as_dataclasses_replace_would(samples) -> None:
    tags = {p.id: ("Scaling laws",) for p in samples.papers[::3]}
    related = {p.id: (RelatedPaper(id=samples.papers[0].id, terms=("a",)),) for p in samples.papers[::5]}
    topics = [Topic(name="Scaling laws", slug="scaling-laws", description="d")]
    filled = with_topics(samples, topics, tags, related)
    assert filled.papers == tuple(
        replace(p, tags=tags.get(p.id, ()), related=related.get(p.id, ())) for p in samples.papers
    )
    assert filled.topics == tuple(topics)
