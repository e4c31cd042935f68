"""Links, math and snippets read out of abstracts."""

from __future__ import annotations

import itertools

import pytest

from generator.model import Link
from generator.text import clean_url, extract_links, first_sentence, replacer, tokenize


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("https://mm-rlhf.github.io.", "https://mm-rlhf.github.io"),
        ("https://github.com/LZY-the-boys/Twin-Mergin.)", "https://github.com/LZY-the-boys/Twin-Mergin"),
        ("https://github.com/GAIR-NLP/alignment-for-honesty,", "https://github.com/GAIR-NLP/alignment-for-honesty"),
        ("https://huggingface.co/crisistransformers),", "https://huggingface.co/crisistransformers"),
        ("https://en.wikipedia.org/wiki/Foo_(bar)", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        ("https://step-law.github.io/", "https://step-law.github.io/"),
    ],
)
def test_clean_url(raw: str, clean: str) -> None:
    assert clean_url(raw) == clean


def test_tex_debris_is_not_part_of_a_link() -> None:
    text = "Project: https://llm-stacking.github.io/{https://llm-stacking.github.io/}. Code https://github.com/wenyudu/MIGU{this"
    assert extract_links(text) == (
        Link("project", "https://llm-stacking.github.io/"),
        Link("code", "https://github.com/wenyudu/MIGU"),
    )


def test_link_kinds() -> None:
    text = (
        "Code: https://github.com/a/b. Data at https://huggingface.co/datasets/o/d and a demo at "
        "https://huggingface.co/spaces/o/s; weights https://huggingface.co/o/m. Project page: "
        "https://example.org/proj. See also https://doi.org/10.5281/zenodo.1 and https://www.github.com/x/y."
    )
    assert [(link.kind, link.url) for link in extract_links(text)] == [
        ("code", "https://github.com/a/b"),
        ("dataset", "https://huggingface.co/datasets/o/d"),
        ("demo", "https://huggingface.co/spaces/o/s"),
        ("model", "https://huggingface.co/o/m"),
        ("project", "https://example.org/proj"),
        ("website", "https://doi.org/10.5281/zenodo.1"),
        ("code", "https://www.github.com/x/y"),
    ]


def test_links_are_listed_once() -> None:
    assert len(extract_links("https://github.com/a/b and again https://github.com/a/b.")) == 1


def test_math_tokens() -> None:
    assert tokenize("inputs $f$ are $\\mu$P and $$x^2$$ end") == [
        ("text", "inputs "),
        ("math", "$f$"),
        ("text", " are "),
        ("math", "$\\mu$"),
        ("text", "P and "),
        ("math", "$$x^2$$"),
        ("text", " end"),
    ]


@pytest.mark.parametrize("text", ["costs $200 per model", "from $5 to $10", "between $5-$10 each", "a \\$ sign $"])
def test_money_is_not_math(text: str) -> None:
    assert all(kind != "math" for kind, _ in tokenize(text))


def test_tokens_are_lossless() -> None:
    text = "See $a_b$ at https://github.com/x/y. (Code: https://x.io/{https://x.io/}.)"
    assert "".join(value for _, value in tokenize(text)) == text


def test_first_sentence() -> None:
    assert first_sentence("We study the problem X, e.g. Y. Then we do Z.") == "We study the problem X, e.g. Y."
    assert first_sentence("Consistency Models (Song et al., 2023) accelerate sampling. More.") == (
        "Consistency Models (Song et al., 2023) accelerate sampling."
    )
    assert first_sentence("No full stop at all") == "No full stop at all"


def test_first_sentence_never_cuts_math() -> None:
    text = "We show $a. B$ holds. Next."
    assert first_sentence(text) == "We show $a. B$ holds."
    long = "word " * 70 + "$x + y$ end."
    snippet = first_sentence(long, limit=100)
    assert snippet.endswith("…") and len(snippet) <= 101 and "$" not in snippet


def test_first_sentence_reads_only_the_start_of_a_huge_abstract() -> None:
    text = "$a. B$ " * 40_000
    snippet = first_sentence(text)
    assert snippet.endswith("…") and len(snippet) <= 301
    assert snippet.count("$") % 2 == 0


def test_invisible_characters_end_a_url() -> None:
    assert [link.url for link in extract_links("at https://x.example/\u200bhidden and https://y.example/a\u202eb")] == [
        "https://x.example/",
        "https://y.example/a",
    ]


@pytest.mark.parametrize(
    "table",
    [
        {"&": "&#38;", "#": "&#35;", "<": "&#60;", ";": "x"},  # replacements hold other keys
        {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "x": "xx"},  # and their own
        {"a": "b", "b": "a"},  # a swap
    ],
)
def test_replacer_is_translate(table: dict[str, str]) -> None:
    replace = replacer(table)
    by_code = {ord(char): value for char, value in table.items()}
    alphabet = "".join(table) + " z"
    for size in range(5):
        for chars in itertools.product(alphabet, repeat=size):
            text = "".join(chars)
            assert replace(text) == text.translate(by_code), text
