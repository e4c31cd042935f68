"""CSV and BibTeX exports: they read back to exactly the archive's data, whatever the digests hold."""

from __future__ import annotations

import csv
import io
import json
import re

from conftest import Project

from generator.exports import CSV_COLUMNS
from generator.markup import csv_value

# LaTeX commands the BibTeX export spells special characters with, and what they print.
UNESCAPE = {
    r"\textbackslash{}": "\\",
    r"\textbraceleft{}": "{",
    r"\textbraceright{}": "}",
    r"\textasciicircum{}": "^",
    r"\textasciitilde{}": "~",
    r"\$": "$",
    r"\&": "&",
    r"\%": "%",
    r"\#": "#",
    r"\_": "_",
}
_COMMAND = re.compile("|".join(re.escape(k) for k in sorted(UNESCAPE, key=len, reverse=True)))


def read_csv(project: Project) -> list[dict[str, str]]:
    data = (project.docs / "papers.csv").read_bytes().decode("utf-8")
    rows = list(csv.reader(io.StringIO(data, newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    return [{name: csv_value(cell) for name, cell in zip(CSV_COLUMNS, row, strict=True)} for row in rows[1:]]


def papers_json(project: Project) -> list[dict]:
    return json.loads((project.docs / "papers.json").read_text(encoding="utf-8"))["papers"]


def check_csv_matches_json(project: Project) -> None:
    rows = read_csv(project)
    papers = papers_json(project)
    assert [r["id"] for r in rows] == [p["id"] for p in papers]
    for row, paper in zip(rows, papers, strict=True):
        dates = sorted({a["date"] for a in paper["appearances"] if a["date"]})
        assert row["title"] == paper["title"]
        assert row["abstract"] == paper["abstract"]
        assert row["url"] == paper["url"]
        assert row["dates"].split() == dates
        assert (row["first_date"], row["last_date"]) == ((dates[0], dates[-1]) if dates else ("", ""))
        assert (row["tags"].split("; ") if row["tags"] else []) == paper["tags"]
        assert row["links"].split() == [link["url"] for link in paper["links"]]


def test_csv_round_trips_the_samples(built_samples: Project) -> None:
    check_csv_matches_json(built_samples)
    assert len(read_csv(built_samples)) == 535
    assert (built_samples.site / "papers.csv").read_bytes() == (built_samples.docs / "papers.csv").read_bytes()


def test_csv_guards_formulas_and_still_round_trips(project: Project) -> None:
    titles = [
        '=HYPERLINK("http://evil.example","click")',
        "+1 Trick",
        "-based Methods",
        "@Mention Models",
        "'Quoted' Title",
        'Plain, with "quotes" and a comma',
    ]
    project.write_digest("2025-02-03.txt", "".join(f"{t}\n=1+1 is the abstract of {t}.\n" for t in titles))
    project.generate()
    raw = (project.docs / "papers.csv").read_text(encoding="utf-8")
    assert "\n=" not in raw and ",=" not in raw and ",+" not in raw and ",-" not in raw and ",@" not in raw
    assert "'=HYPERLINK(" in raw and "''Quoted' Title" in raw
    check_csv_matches_json(project)
    assert sorted(r["title"] for r in read_csv(project)) == sorted(titles)


def parse_bibtex(text: str) -> dict[str, dict[str, str]]:
    """Entries by key, each field's raw value: braces must balance, as BibTeX needs them to."""
    entries: dict[str, dict[str, str]] = {}
    for match in re.finditer(r"@misc\{([^,\s]+),\n", text):
        key, position, fields = match.group(1), match.end(), {}
        while True:
            field = re.compile(r"  ([a-z]+) = ").match(text, position)
            if field is None:
                assert text[position : position + 2] == "}\n", text[position : position + 80]
                break
            position = field.end()
            if text[position] == "{":
                depth, start = 0, position
                while True:
                    char = text[position]
                    depth += {"{": 1, "}": -1}.get(char, 0)
                    assert char != "\n", f"{key}: line break inside {field.group(1)}"
                    position += 1
                    if depth == 0:
                        break
                value = text[start + 1 : position - 1]
            else:
                bare = re.compile(r"[a-z]+").match(text, position)
                assert bare is not None
                value, position = bare.group(0), bare.end()
            assert text[position : position + 2] == ",\n"
            position += 2
            fields[field.group(1)] = value
        assert key not in entries
        entries[key] = fields
    return entries


def unescape(value: str) -> str:
    """What LaTeX prints for a field written by generator.markup.bibtex."""
    assert not re.search(r"[\\%#&_$^~{}]", _COMMAND.sub("", value)), value
    plain = _COMMAND.sub(lambda m: UNESCAPE[m.group(0)], value)
    return plain


def test_bibtex_has_one_parsable_entry_per_paper(built_samples: Project) -> None:
    text = (built_samples.docs / "papers.bib").read_text(encoding="utf-8")
    entries = parse_bibtex(text)
    papers = {p["id"]: p for p in papers_json(built_samples)}
    assert sorted(entries) == sorted(papers)
    assert text.count("@misc{") == 535
    for key, fields in entries.items():
        paper = papers[key]
        assert fields["title"].startswith("{") and fields["title"].endswith("}")
        assert unescape(fields["title"][1:-1]) == paper["title"]
        assert unescape(fields["abstract"]) == paper["abstract"]
        assert fields["url"] == paper["url"]
        dates = sorted(a["date"] for a in paper["appearances"] if a["date"])
        if dates:
            assert fields["year"] == dates[0][:4] and fields["month"] == "mar"
        else:
            assert "year" not in fields


def test_bibtex_special_characters_cannot_break_an_entry(project: Project) -> None:
    title = r"50% {of} \x"
    hostile = r"Closing } brace, @misc{evil, title={x}} # & _ ^ ~ $x_1^2$ \end{document} %"
    project.write_digest(
        "2025-02-03.txt", f"{title}\nAn abstract.\n{hostile}\n{hostile} again: https://github.com/a_b/c%20d\n"
    )
    project.generate()
    text = (project.docs / "papers.bib").read_text(encoding="utf-8")
    entries = parse_bibtex(text)
    assert len(entries) == 2 and text.count("@misc{") == 2
    by_title = {unescape(f["title"][1:-1]): f for f in entries.values()}
    assert set(by_title) == {title, hostile}
    assert by_title[title]["title"] == r"{50\% \textbraceleft{}of\textbraceright{} \textbackslash{}x}"
    assert unescape(by_title[hostile]["abstract"]) == f"{hostile} again: https://github.com/a_b/c%20d"
    assert unescape(by_title[hostile]["note"]) == "Code: https://github.com/a_b/c%20d"
