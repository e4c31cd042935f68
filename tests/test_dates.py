"""Dating digests: manifest, ISO file names, header lines with a known year, and undated ones."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from conftest import SAMPLES

from generator.dates import load_manifest, parse_manifest, resolve_dates, with_digest_date
from generator.errors import GeneratorError
from generator.parse import parse_digest

MAR_11 = "Subscribe\nMar 11\nTitle\nAbstract.\n"
NO_HEADER = "Subscribe\nTitle\nAbstract.\n"


def date_of(name: str, text: str, manifest_text: str = "") -> dt.date | None:
    digest = parse_digest(text, name)
    manifest = parse_manifest(manifest_text, "digests/digests.yaml")
    return resolve_dates([digest], manifest, {})[0].date


def test_sample_dates_from_the_repository_manifest() -> None:
    from generator.parse import find_digest_files, read_digest_file

    digests = [read_digest_file(path, name) for name, path in find_digest_files(SAMPLES)]
    dated = resolve_dates(digests, load_manifest(SAMPLES / "digests.yaml"), {})
    assert {d.name[:3]: d.date for d in dated} == {
        "000": dt.date(2025, 3, 11),
        "001": None,
        "002": dt.date(2025, 3, 14),
        "003": dt.date(2025, 3, 17),
        "004": None,
    }


def test_manifest_date_wins() -> None:
    manifest = "digests:\n  2024-01-01.txt:\n    date: 2025-03-12\n"
    assert date_of("2024-01-01.txt", NO_HEADER, manifest) == dt.date(2025, 3, 12)


def test_iso_file_name() -> None:
    assert date_of("2025-03-11.txt", NO_HEADER) == dt.date(2025, 3, 11)
    assert date_of("2025/2025-03-11_evening.txt", NO_HEADER) == dt.date(2025, 3, 11)


def test_header_needs_a_year() -> None:
    assert date_of("x.txt", MAR_11, "digests:\n  x.txt:\n    year: 2025\n") == dt.date(2025, 3, 11)
    assert date_of("x.txt", MAR_11, "year: 2024\n") == dt.date(2024, 3, 11)
    assert date_of("x.txt", "March 11, 2023\nT\nA\n") == dt.date(2023, 3, 11)


def test_undated_digest_is_kept_and_named_in_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="generator"):
        assert date_of("x.txt", NO_HEADER) is None
        assert date_of("y.txt", MAR_11) is None
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("x.txt: no date") for m in messages)
    assert any(m.startswith("y.txt:2: header says 'Mar 11' but no year is known") for m in messages)


def test_disagreeing_header_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="generator"):
        assert date_of("2025-03-12.txt", MAR_11) == dt.date(2025, 3, 12)
    assert "header says 'Mar 11' but the digest is dated 2025-03-12" in caplog.text


def test_impossible_header_date_is_an_error() -> None:
    with pytest.raises(GeneratorError, match=r"^x.txt:2: 'Feb 30' is not a real date in 2025$"):
        date_of("x.txt", "new\nFeb 30\nT\nA\n", "year: 2025\n")


def test_impossible_file_name_date_is_an_error() -> None:
    with pytest.raises(GeneratorError, match="file name looks like a date but is not a real one"):
        date_of("2025-02-30.txt", NO_HEADER)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("digests:\n  x.txt:\n    date: [", "digests/digests.yaml:3: invalid YAML"),
        ("digests:\n  x.txt:\n    day: 2025-01-01\n", "digests/digests.yaml:3: digest 'x.txt': unknown key 'day'"),
        ("digests:\n  x.txt:\n    date: 2025-02-30\n", "digests/digests.yaml:3: date must be a real date"),
        ("digests:\n  x.txt:\n    date: yesterday\n", "digests/digests.yaml:3: date must be a real date"),
        ("year: 25\n", "digests/digests.yaml:1: year must be four digits"),
        ("years: 2025\n", "digests/digests.yaml:1: unknown key 'years'"),
        ("digests:\n  x.txt: {}\n  x.txt: {}\n", "digests/digests.yaml:3: 'digests': duplicate key 'x.txt'"),
        ("- a\n- b\n", "digests/digests.yaml:1: the manifest must be a mapping"),
    ],
)
def test_bad_manifest_messages_name_file_and_line(text: str, message: str) -> None:
    with pytest.raises(GeneratorError) as caught:
        parse_manifest(text, "digests/digests.yaml")
    assert str(caught.value).startswith(message)


def test_manifest_entry_for_a_missing_digest_warns(caplog: pytest.LogCaptureFixture) -> None:
    manifest = parse_manifest("digests:\n  gone.txt:\n    year: 2025\n", "digests/digests.yaml")
    with caplog.at_level(logging.WARNING, logger="generator"):
        resolve_dates([], manifest, {})
    assert "digests/digests.yaml:2: lists gone.txt, which is not in the digests folder" in caplog.text


ON_MAR_12 = dt.date(2025, 3, 12)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("", 'digests:\n  "x.txt":\n    # why\n    date: 2025-03-12\n'),
        ("year: 2025  # all\n", 'year: 2025  # all\ndigests:\n  "x.txt":\n    # why\n    date: 2025-03-12\n'),
        (
            "digests:\n    a.txt:\n        year: 2024\n",
            'digests:\n    "x.txt":\n      # why\n      date: 2025-03-12\n    a.txt:\n        year: 2024\n',
        ),
        (
            "# head\ndigests:\n  x.txt:  # mine\n    year: 2024\n  a.txt:\n    year: 2025\n",
            "# head\ndigests:\n  x.txt:  # mine\n    # why\n    date: 2025-03-12\n    year: 2024\n  a.txt:\n    year: 2025\n",
        ),
    ],
)
def test_a_date_is_added_to_the_manifest_keeping_what_is_written(before: str, after: str) -> None:
    assert with_digest_date(before, "digests.yaml", "x.txt", ON_MAR_12, "why") == after
    manifest = parse_manifest(after, "digests.yaml")
    assert manifest.digests["x.txt"].date == ON_MAR_12


@pytest.mark.parametrize(
    ("before", "message"),
    [
        ("digests: {a.txt: {year: 2025}}\n", "digests.yaml:1: 'digests' is not a block mapping; add the date by hand"),
        (
            "digests:\n  x.txt: {year: 2025}\n",
            "digests.yaml:2: cannot add a date to the entry of x.txt; add it by hand",
        ),
        (
            "digests:\n  x.txt:\n    date: 2025-01-01\n",
            "digests.yaml:2: cannot add a date to the entry of x.txt; add it by hand",
        ),
        ("- a\n- b\n", "digests.yaml: the manifest must be a mapping; add the date by hand"),
    ],
)
def test_a_manifest_the_date_cannot_be_added_to_is_refused(before: str, message: str) -> None:
    with pytest.raises(GeneratorError) as caught:
        with_digest_date(before, "digests.yaml", "x.txt", ON_MAR_12, "why")
    assert caught.value.location_message() == message
