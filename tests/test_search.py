"""The search index: how text becomes terms, how terms are filed in shards, and what the files hold."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from conftest import SAMPLES

from generator.model import Archive, Paper
from generator.pipeline import load_archive
from generator.search import (
    DOC_CHUNK,
    SEARCH_ROOT,
    SHARD_BYTES,
    impacts,
    numbering,
    postings,
    search_index,
    shard_file,
    shard_prefixes,
    stem,
    terms,
    weights_of,
)
from generator.tags import assign_tags
from generator.taxonomy import load_taxonomy


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("models", "model"),
        ("laws", "law"),
        ("losses", "loss"),
        ("processes", "process"),
        ("studies", "study"),
        ("analysis", "analysis"),
        ("corpus", "corpus"),
        ("loss", "loss"),
        ("llms", "llm"),
        ("gas", "gas"),  # short words stay
        ("scaling", "scaling"),
    ],
)
def test_stem_folds_plurals_only(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_terms_fold_case_accents_compounds_and_stop_words() -> None:
    assert terms("The Fine-Tuning of Models") == ["fine", "tuning", "finetuning", "model"]
    assert terms("Café NAÏVE") == ["cafe", "naive"]
    assert terms("GPT-4o and RL, not URLs") == ["gpt", "4o", "gpt4o", "rl", "url"]
    assert terms("x² ½") == ["x2", "1", "2"]
    assert terms("of the and") == []


def test_impacts_weigh_title_above_topics_above_abstract() -> None:
    archive, _ = load_archive(SAMPLES, SAMPLES / "urls.tsv")
    (paper,) = [p for p in archive.papers if p.title == "Unraveling the Mystery of Scaling Laws: Part I"]
    tagged = paper.__class__(**{**paper.__dict__, "tags": ("Scaling laws",)})
    weights = impacts(tagged)
    abstract_only = [t for t in terms(paper.abstract) if t not in terms(paper.title)]
    assert weights["mystery"] > max(weights[t] for t in abstract_only)
    assert weights["scaling"] > impacts(paper)["scaling"]  # the topic adds to the title and abstract
    assert all(weights[t] >= 1 for t in weights)


def test_shards_file_each_term_under_its_longest_listed_prefix() -> None:
    sizes = {"model": 30_000, "modeling": 500, "modal": 200, "mo": 10, "more": 300, "ab": 5, "abc": 5}
    sizes.update({f"mod{c}": 4_000 for c in "abcdefgh"})
    prefixes = shard_prefixes(sizes, limit=10_000)
    listed = set(prefixes.values())
    for term, prefix in prefixes.items():
        assert term.startswith(prefix)
        assert prefix == max((p for p in listed if term.startswith(p)), key=len), term
    assert prefixes["ab"] == prefixes["abc"] == "ab"  # small groups stay whole
    shard_sizes: Counter[str] = Counter()
    for term, prefix in prefixes.items():
        shard_sizes[prefix] += sizes[term]
    for prefix, size in shard_sizes.items():
        members = [t for t, p in prefixes.items() if p == prefix]
        assert size <= 10_000 or members == [prefix], prefix  # only one big word may pass the limit
    assert prefixes["model"] == "model" and prefixes["modeling"] != "model"


def test_shard_files_are_safe_names() -> None:
    assert shard_file("sc") == "terms/sc.json"
    assert shard_file("αβ") == "terms/xceb1ceb2.json"
    assert shard_file("a/b") == "terms/x612f62.json"


@pytest.fixture(scope="module")
def sample_index() -> tuple[Archive, dict[str, str]]:
    archive, _ = load_archive(SAMPLES, SAMPLES / "urls.tsv")
    taxonomy = load_taxonomy(SAMPLES.parent / "taxonomy.yaml")
    from generator.archive import with_topics

    archive = with_topics(archive, taxonomy.topics(), assign_tags(archive.papers, taxonomy), {})
    return archive, search_index(archive)


def load(files: dict[str, str], path: str) -> object:
    return json.loads(files[f"{SEARCH_ROOT}/{path}"])


def decode(flat: list[int]) -> list[tuple[int, int]]:
    out, number = [], 0
    for i in range(0, len(flat), 2):
        number += flat[i]
        out.append((number, flat[i + 1]))
    return out


def test_every_paper_is_in_the_index_once(sample_index: tuple[Archive, dict[str, str]]) -> None:
    archive, files = sample_index
    meta = load(files, "meta.json")
    assert isinstance(meta, dict)
    assert meta["papers"] == len(archive.papers) == 535
    docs = [doc for path in sorted(files, key=_chunk_number) if "/docs/" in path for doc in json.loads(files[path])]
    assert [d[0] for d in docs] == [p.url for p in numbering(archive.papers)]
    assert len({d[0] for d in docs}) == 535
    assert all(len(json.loads(files[p])) <= DOC_CHUNK for p in files if "/docs/" in p)


def _chunk_number(path: str) -> int:
    return int(path.rsplit("/", 1)[1].split(".")[0]) if "/docs/" in path else -1


def test_postings_find_every_paper_by_each_of_its_terms(sample_index: tuple[Archive, dict[str, str]]) -> None:
    archive, files = sample_index
    meta = load(files, "meta.json")
    assert isinstance(meta, dict)
    listed = set(meta["shards"])
    postings: dict[str, list[tuple[int, int]]] = {}
    for prefix in listed:
        shard = load(files, shard_file(prefix))
        assert isinstance(shard, dict)
        for term, flat in shard.items():
            assert prefix == max((p for p in listed if term.startswith(p)), key=len)
            postings[term] = decode(flat)
    for number, paper in enumerate(numbering(archive.papers)):
        expected = impacts(paper)
        for term, impact in expected.items():
            assert (number, impact) in postings[term], (paper.title, term)
    assert sum(len(v) for v in postings.values()) == sum(len(impacts(p)) for p in archive.papers)
    for found in postings.values():
        numbers = [n for n, _ in found]
        assert numbers == sorted(set(numbers))


def test_postings_skip_papers_without_terms() -> None:
    """A paper of stop words only still takes its number; lists start from paper 0."""
    empty = Paper(id="e", key="e", title="The", abstract="Of it.", appearances=())
    alpha = Paper(id="a", key="a", title="Alpha beta", abstract="Beta.", appearances=())
    beta = Paper(id="b", key="b", title="Gamma", abstract="Beta beta.", appearances=())
    lists = postings([weights_of(p) for p in (alpha, empty, beta, empty)])
    found = {term: decode(json.loads(f"[{text}]")) for term, text in lists.items()}
    assert sorted(found) == ["alpha", "beta", "gamma"]
    assert [n for n, _ in found["beta"]] == [0, 2]
    assert [n for n, _ in found["alpha"]] == [0]
    assert [n for n, _ in found["gamma"]] == [2]
    assert found["beta"][0][1] == impacts(alpha)["beta"]
    assert postings([weights_of(empty)]) == {}
    assert postings([]) == {}


def test_a_new_paper_leaves_the_postings_of_words_it_does_not_use_as_they_were(
    sample_index: tuple[Archive, dict[str, str]],
) -> None:
    """Papers are numbered by first appearance and an impact depends on its paper alone: a paper
    added last changes only its own words' lists, by one entry at their end."""
    archive, _ = sample_index
    papers = numbering(archive.papers)
    before = postings([weights_of(p) for p in papers[:-1]])
    after = postings([weights_of(p) for p in papers])
    own = set(impacts(papers[-1]))
    assert {t: v for t, v in after.items() if t not in own} == {t: v for t, v in before.items() if t not in own}
    for term in own:
        assert after[term].startswith(before[term] + ",") if term in before else after[term].count(",") == 1


def test_shards_stay_small(sample_index: tuple[Archive, dict[str, str]]) -> None:
    _, files = sample_index
    for path, text in files.items():
        if "/terms/" in path and len(text.encode("utf-8")) > SHARD_BYTES + 100:
            assert len(json.loads(text)) == 1, path  # only one big word may pass the limit


def test_filters_list_the_papers_of_each_topic_year_and_month(sample_index: tuple[Archive, dict[str, str]]) -> None:
    archive, files = sample_index
    ordered = numbering(archive.papers)
    meta = load(files, "meta.json")
    assert isinstance(meta, dict)

    def members(path: str) -> set[str]:
        gaps = load(files, f"filters/{path}.json")
        assert isinstance(gaps, list)
        numbers, last = [], 0
        for gap in gaps:
            last += gap
            numbers.append(last)
        return {ordered[n].id for n in numbers}

    for name, slug, count in meta["topics"]:
        expected = {p.id for p in archive.papers if name in p.tags}
        assert members(f"topic/{slug}") == expected and count == len(expected)
    march = {
        p.id for p in archive.papers if any(a.date and a.date.strftime("%Y-%m") == "2025-03" for a in p.appearances)
    }
    assert members("month/2025-03") == march == members("year/2025")
    assert meta["years"] == [["2025", len(march)]]
    undated = [p for p in archive.papers if p.first_date is None]
    assert undated and ordered[: len(undated)] == sorted(undated, key=lambda p: p.id)


def test_index_is_deterministic(sample_index: tuple[Archive, dict[str, str]]) -> None:
    archive, files = sample_index
    reordered = archive.__class__(
        digests=archive.digests, papers=tuple(reversed(archive.papers)), topics=archive.topics
    )
    assert search_index(reordered) == files
