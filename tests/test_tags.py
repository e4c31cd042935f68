"""Topics: taxonomy rules, their word boundaries, the samples' coverage, and every bad-taxonomy error."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from conftest import REPO, SAMPLES

from generator.errors import GeneratorError
from generator.model import Appearance, Paper
from generator.pipeline import load_archive
from generator.tags import assign_tags, load_taxonomy, parse_taxonomy

TAXONOMY = REPO / "taxonomy.yaml"


def paper(title: str, abstract: str = "An abstract about nothing in particular.", pid: str | None = None) -> Paper:
    return Paper(
        id=pid or title.lower().replace(" ", "-"),
        key=title.lower(),
        title=title,
        abstract=abstract,
        appearances=(Appearance("d.txt", dt.date(2025, 1, 1), 1),),
    )


def tags_of(taxonomy_text: str, *papers: Paper) -> dict[str, tuple[str, ...]]:
    return assign_tags(list(papers), parse_taxonomy(taxonomy_text, "taxonomy.yaml"))


ONE_TAG = """
settings: {min_papers: 1}
tags:
  - name: Reinforcement learning
    description: RL.
    words: [reinforcement learning, mixture of experts]
    case_sensitive: [RL, MoE]
"""


def test_acronyms_match_on_word_boundaries_and_in_their_case() -> None:
    result = tags_of(
        ONE_TAG,
        paper("A", "See the URL and the URLs. Also ShMoE and MoEngage. rl is lower case.", pid="a"),
        paper("B", "We use RL here and RL-based tuning there.", pid="b"),
        paper("C", "Sparse MoE layers; many MoEs.", pid="c"),
    )
    assert result == {"a": (), "b": ("Reinforcement learning",), "c": ("Reinforcement learning",)}


def test_space_and_hyphen_are_the_same_and_plurals_match() -> None:
    result = tags_of(ONE_TAG, paper("A", "A mixture-of-experts model; mixtures of experts too.", pid="a"))
    assert result["a"] == ()  # "mixtures of experts": the plural is on the last word only
    result = tags_of(ONE_TAG, paper("A", "A mixture-of-experts model and a mixture of experts.", pid="a"))
    assert result["a"] == ("Reinforcement learning",)


def test_title_weighs_more_than_abstract() -> None:
    result = tags_of(
        ONE_TAG,
        paper("RL for everyone", pid="title"),
        paper("T", "Once: reinforcement learning.", pid="once"),
        paper("T", "Twice: reinforcement learning and RL.", pid="twice"),
    )
    assert result == {"title": ("Reinforcement learning",), "once": (), "twice": ("Reinforcement learning",)}


def test_title_words_count_only_in_titles_and_exclude_removes_matches() -> None:
    text = """
settings: {min_papers: 1}
tags:
  - name: Benchmarks
    description: B.
    title_words: [benchmark]
  - name: Distillation
    description: D.
    words: [distillation]
    exclude: ['dataset distillation']
"""
    result = tags_of(
        text,
        paper("A New Benchmark", pid="a"),
        paper("T", "Strong results on the benchmark. Every benchmark.", pid="b"),
        paper("Dataset Distillation", "dataset distillation and dataset distillation", pid="c"),
        paper("Distillation Done Right", pid="d"),
    )
    assert result == {"a": ("Benchmarks",), "b": (), "c": (), "d": ("Distillation",)}


def test_strongest_tags_first_at_most_max_and_small_tags_hidden() -> None:
    tags = "\n".join(f"  - name: Tag {i}\n    description: T{i}.\n    words: [word{i}]" for i in range(8))
    text = f"settings: {{max_tags: 6, min_papers: 2}}\ntags:\n{tags}\n"
    everything = " ".join(f"word{i}" for i in range(8))
    result = tags_of(
        text,
        paper(f"word7 {everything}", everything, pid="a"),
        paper(f"word7 {everything}", everything, pid="b"),
        paper("word7 only", pid="c"),
    )
    assert result["a"] == ("Tag 0", "Tag 1", "Tag 2", "Tag 3", "Tag 4", "Tag 5")
    # Tag 6 fell to the cap everywhere, so it is on fewer than 2 papers and hidden.
    assert result["c"] == ()
    assert all("Tag 6" not in names for names in result.values())


def test_diffusion_of_information_is_not_a_diffusion_model() -> None:
    taxonomy = load_taxonomy(TAXONOMY)
    papers = [
        paper("Rumour spread", "We model the diffusion of information and information diffusion in networks.", "x"),
        paper("Fast Sampling for Diffusion Models", pid="y"),
    ] + [paper(f"Diffusion Models {i}", pid=f"z{i}") for i in range(3)]
    result = assign_tags(papers, taxonomy)
    assert "Diffusion models" not in result["x"]
    assert "Diffusion models" in result["y"]


@pytest.fixture(scope="module")
def sample_tags() -> tuple[int, dict[str, tuple[str, ...]]]:
    archive, _ = load_archive(SAMPLES, SAMPLES / "urls.tsv")
    return len(archive.papers), assign_tags(archive.papers, load_taxonomy(TAXONOMY))


def test_samples_coverage_and_balance(sample_tags: tuple[int, dict[str, tuple[str, ...]]]) -> None:
    total, tags = sample_tags
    assert total == 535
    assert sum(1 for names in tags.values() if names) >= 0.95 * total
    assert max(len(names) for names in tags.values()) <= 6
    counts = Counter(name for names in tags.values() for name in names)
    assert max(counts.values()) <= 0.30 * total
    assert min(counts.values()) >= 3


def test_default_taxonomy_size() -> None:
    assert 25 <= len(load_taxonomy(TAXONOMY).tags) <= 40


def test_sample_precision_spot_checks() -> None:
    archive, _ = load_archive(SAMPLES, SAMPLES / "urls.tsv")
    tags = assign_tags(archive.papers, load_taxonomy(TAXONOMY))
    by_title = {p.title: tags[p.id] for p in archive.papers}
    assert "Knowledge distillation" not in by_title["Dataset Distillation"]
    assert "Data selection and curation" in by_title["Dataset Distillation"]
    assert "Model merging" in by_title["Merging Models with Fisher-Weighted Averaging"]
    assert "Mixture of experts" in by_title["MomentumSMoE: Integrating Momentum into Sparse Mixture of Experts"]
    assert "Scaling laws" in by_title["Unlock Predictable Scaling from Emergent Abilities"]
    assert "Reinforcement learning" in by_title["Kimi k1.5: Scaling Reinforcement Learning with LLMs"]
    assert (
        "Computer vision"
        not in by_title["Pretraining Data Detection for Large Language Models: A Divergence-based Calibration Method"]
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tags: [\n  - name: x", "taxonomy.yaml:2: invalid YAML"),
        ("tags:\n  - description: no name\n    words: [x]\n", "taxonomy.yaml: tag #1 has no name"),
        (
            "tags:\n  - {name: A, description: a, words: [x]}\n  - {name: a, description: b, words: [y]}\n",
            "taxonomy.yaml: tag 'a': duplicate name (tag #2)",
        ),
        (
            "tags:\n  - {name: C++, description: a, words: [x]}\n  - {name: C, description: b, words: [y]}\n",
            "taxonomy.yaml: tag 'C': same URL as tag 'C++' (tag #2)",
        ),
        (
            "tags:\n  - {name: Bad, description: b, patterns: ['(unclosed']}\n",
            "taxonomy.yaml: tag 'Bad': invalid regular expression '(unclosed' in patterns: missing ), unterminated subpattern",
        ),
        (
            "tags:\n  - {name: Bad, description: b, exclude: ['[z-a]'], words: [x]}\n",
            "taxonomy.yaml: tag 'Bad': invalid regular expression '[z-a]' in exclude",
        ),
        ("tags:\n  - {name: Bad, words: [x]}\n", "taxonomy.yaml: tag 'Bad': needs a one-line description"),
        ("tags:\n  - {name: Bad, description: b}\n", "taxonomy.yaml: tag 'Bad': has no rules"),
        (
            "tags:\n  - {name: Bad, description: b, words: ['C++']}\n",
            "taxonomy.yaml: tag 'Bad': 'C++' may hold only letters",
        ),
        ("tags:\n  - {name: Bad, description: b, words: x}\n", "taxonomy.yaml: tag 'Bad': words must be a list"),
        ("tags:\n  - {name: Bad, description: b, word: [x]}\n", "taxonomy.yaml: tag 'Bad': unknown key 'word'"),
        (
            "tags:\n  - {name: Bad, description: b, words: [x], threshold: 0}\n",
            "taxonomy.yaml: tag 'Bad': threshold must be",
        ),
        ("settings: {max_tags: six}\ntags: []\n", "taxonomy.yaml: settings: max_tags must be a whole number"),
        ("tag: []\n", "taxonomy.yaml: expected a mapping with a 'tags' list"),
    ],
)
def test_bad_taxonomy_errors_name_file_and_tag(text: str, message: str) -> None:
    with pytest.raises(GeneratorError) as caught:
        parse_taxonomy(text, "taxonomy.yaml")
    assert str(caught.value).startswith(message), str(caught.value)


def test_bad_taxonomy_is_one_line_from_the_cli(tmp_path: Path) -> None:
    from conftest import make_project

    project = make_project(tmp_path / "p")
    project.write_digest("2025-01-01.txt", "T\nA\n")
    (project.root / "taxonomy.yaml").write_text("tags:\n  - {name: X, description: x, patterns: ['(']}\n")
    result = project.generate(check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: taxonomy.yaml: tag 'X': invalid regular expression '(' in patterns:")
    assert len(result.stderr.splitlines()) == 1
