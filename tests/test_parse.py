"""Parsing digest text: the samples' facts and every layout variant."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SAMPLES

from generator.errors import GeneratorError
from generator.parse import find_digest_files, parse_digest, read_digest_file

EXPECTED_ENTRIES = {
    "000_5680ee61c9326170.txt": 91,
    "001_c01efbc168af1d01.txt": 87,
    "002_ca25427895eae461.txt": 75,
    "003_c33ec5dd97a82db6.txt": 102,
    "004_f019b22ff51ba297.txt": 239,
}
BOILERPLATE_LINES = {
    "new",
    "Get trending papers in your email inbox!",
    "Get trending papers in your email inbox once a day!",
    "Subscribe",
    "Daily Papers",
    "byAK and the research community",
    "by AK and the research community",
}


def sample(name: str):
    return read_digest_file(SAMPLES / name, name)


@pytest.mark.parametrize(("name", "count"), sorted(EXPECTED_ENTRIES.items()))
def test_sample_entry_counts(name: str, count: int) -> None:
    assert len(sample(name).entries) == count


def test_samples_total_594_entries() -> None:
    assert sum(len(sample(name).entries) for name in EXPECTED_ENTRIES) == 594


def test_no_boilerplate_or_date_line_becomes_a_paper() -> None:
    for name in EXPECTED_ENTRIES:
        for entry in sample(name).entries:
            assert entry.title not in BOILERPLATE_LINES
            assert entry.abstract not in BOILERPLATE_LINES
            assert not entry.title.startswith("Subscribe")
            assert entry.title not in {"Mar 11", "Mar 14", "Mar 17"}


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("000_5680ee61c9326170.txt", (3, 11)),
        ("001_c01efbc168af1d01.txt", None),
        ("002_ca25427895eae461.txt", (3, 14)),
        ("003_c33ec5dd97a82db6.txt", (3, 17)),
        ("004_f019b22ff51ba297.txt", None),
    ],
)
def test_sample_header_dates(name: str, header: tuple[int, int] | None) -> None:
    found = sample(name).header_date
    assert ((found.month, found.day) if found else None) == header


def test_glued_subscribe_is_stripped_from_the_first_title() -> None:
    first = sample("004_f019b22ff51ba297.txt").entries[0]
    assert first.title == "A Bayesian Approach To Analysing Training Data Attribution In Deep Learning"
    assert first.line == 3
    assert first.abstract.startswith("Training data attribution (TDA) techniques")


def test_entries_keep_their_title_line_numbers() -> None:
    digest = sample("000_5680ee61c9326170.txt")
    lines = (SAMPLES / "000_5680ee61c9326170.txt").read_text(encoding="utf-8").split("\n")
    for entry in digest.entries:
        assert lines[entry.line - 1].strip() == entry.title


BLANK_SEPARATED = "new\n\nSubscribe\n\nMar 11\n\nFirst Title\n\nFirst abstract.\n\nSecond Title\n\nSecond abstract.\n"


@pytest.mark.parametrize(
    "text",
    [
        BLANK_SEPARATED,
        BLANK_SEPARATED.replace("\n", "\r\n"),
        BLANK_SEPARATED.replace("\n", "\r"),
        "\ufeff" + BLANK_SEPARATED,
        "\ufeff" + BLANK_SEPARATED.replace("\n", "\r\n"),
        BLANK_SEPARATED.replace("\n\n", "\n"),
        BLANK_SEPARATED.replace("\n\n", "\n \n\t\n\n\n"),
        BLANK_SEPARATED.replace("\n", "   \n").replace("First Title", "  First Title\t"),
        BLANK_SEPARATED.rstrip("\n"),
        BLANK_SEPARATED.replace("Subscribe\n\nMar 11\n\nFirst", "Mar 11\n\nSubscribeFirst"),
    ],
    ids=[
        "blank-lines",
        "crlf",
        "cr",
        "bom",
        "bom-crlf",
        "no-blank-lines",
        "extra-blank-lines",
        "trailing-spaces",
        "no-final-newline",
        "glued-subscribe",
    ],
)
def test_layout_variants_parse_the_same(text: str) -> None:
    digest = parse_digest(text, "x.txt")
    assert [(e.title, e.abstract) for e in digest.entries] == [
        ("First Title", "First abstract."),
        ("Second Title", "Second abstract."),
    ]
    assert digest.header_date is not None
    assert (digest.header_date.month, digest.header_date.day) == (3, 11)


def test_position_not_length_decides_title_and_abstract() -> None:
    long_title = "A " + "very " * 80 + "long title"
    text = f"{long_title}\nShort.\nT\nAn abstract that is, as it happens, much shorter than the title above.\n"
    entries = parse_digest(text, "x.txt").entries
    assert [(e.title, e.abstract) for e in entries] == [
        (long_title, "Short."),
        ("T", "An abstract that is, as it happens, much shorter than the title above."),
    ]


def test_date_line_only_counts_in_the_header() -> None:
    digest = parse_digest("Mar 11\nMar 12\nabstract of a paper titled Mar 12\n", "x.txt")
    assert digest.header_date is not None and digest.header_date.day == 11
    assert [e.title for e in digest.entries] == ["Mar 12"]


def test_header_date_with_year() -> None:
    digest = parse_digest("March 3, 2024\nT\nA\n", "x.txt")
    assert digest.header_date is not None
    assert (digest.header_date.year, digest.header_date.month, digest.header_date.day) == (2024, 3, 3)


def test_control_characters_are_dropped_and_other_separators_do_not_split() -> None:
    digest = parse_digest("Ti\x00tle\nAbs\u2028tract\x0bhere\n", "x.txt")
    assert [(e.title, e.abstract) for e in digest.entries] == [("Title", "Abs\u2028tract here")]


def test_title_without_abstract_names_the_line() -> None:
    with pytest.raises(GeneratorError) as caught:
        parse_digest("Subscribe\n\nT1\n\nA1\n\nT2\n", "digests/bad.txt")
    assert str(caught.value) == "digests/bad.txt:7: title without abstract (titles and abstracts must alternate)"


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(b"Title\nAbstract\nT2\nAbs \xff tract\n")
    with pytest.raises(GeneratorError) as caught:
        read_digest_file(path, "bad.txt")
    assert str(caught.value) == f"{path}:4: not valid UTF-8 text"


def test_empty_digest_has_no_entries() -> None:
    assert parse_digest("new\nSubscribe\n\n", "x.txt").entries == ()


def test_find_digest_files_sorted_and_recursive(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("T\nA\n")
    (tmp_path / "2025").mkdir()
    (tmp_path / "2025" / "a.txt").write_text("T\nA\n")
    (tmp_path / "digests.yaml").write_text("{}")
    (tmp_path / ".hidden.txt").write_text("T\nA\n")
    assert [name for name, _ in find_digest_files(tmp_path)] == ["2025/a.txt", "b.txt"]


@pytest.mark.parametrize(
    ("first_line", "title"),
    [
        ("SubscribeA Bayesian Approach", "A Bayesian Approach"),
        ("Subscribe2D Worlds", "2D Worlds"),
        ("Daily PapersSubscribeBig Models", "Big Models"),
        ("Daily Papers Benchmark", "Daily Papers Benchmark"),
        ("Subscribe to this", "Subscribe to this"),
        ("SubscribemPLUG-Owl", "SubscribemPLUG-Owl"),
    ],
)
def test_only_glued_boilerplate_is_stripped(first_line: str, title: str) -> None:
    assert parse_digest(f"new\n{first_line}\nAbstract.\n", "x.txt").entries[0].title == title


def test_separators_become_spaces_and_bidi_overrides_go() -> None:
    digest = parse_digest("PS\x85NEL and\x1ftwo\nAn \u202eoverride\u202c and \u2066isolate\u2069.\n", "x.txt")
    assert [(e.title, e.abstract) for e in digest.entries] == [("PS NEL and two", "An override and isolate.")]


def test_invisible_title_is_an_error() -> None:
    with pytest.raises(GeneratorError, match=r"^x.txt:3: title has no visible characters$"):
        parse_digest("T\nA\n\u200b\u200d\nAbstract.\n", "x.txt")
