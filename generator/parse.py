"""Read digest files: the text of Hugging Face Daily Papers pages becomes entries."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path, PurePosixPath

from generator.dates import MANIFEST_NAME
from generator.enrich import ENRICHMENT_NAME
from generator.errors import GeneratorError, decode
from generator.model import Digest, Entry, HeaderDate
from generator.structured import PARSERS
from generator.text import clean_line, extract_links, visible

# Page furniture copied along with the papers; never a paper.
BOILERPLATE = (
    "new",
    "Get trending papers in your email inbox!",
    "Get trending papers in your email inbox once a day!",
    "Subscribe",
    "Daily Papers",
    "byAK and the research community",
    "by AK and the research community",
)
# Boilerplate that may be glued to the first title ("SubscribeA Bayesian ...").
# "new" is left out: too short to tell apart from a title that starts with it.
_GLUED = tuple(sorted((b for b in BOILERPLATE if len(b) > 3), key=len, reverse=True))

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_DATE_LINE = re.compile(r"^([A-Za-z]{3,9})\.? (\d{1,2})(?:,? (\d{4}))?$")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

TEXT_SUFFIXES = (".txt",)
DIGEST_SUFFIXES = (*TEXT_SUFFIXES, *PARSERS)


def parse_digest(text: str, name: str, origin: str | None = None) -> Digest:
    """Parse one digest's text: header boilerplate, an optional date line, then title/abstract pairs.

    `name` identifies the digest in the archive; `origin` (default: `name`) is the path
    that error messages show.
    """
    lines = [(number, clean_line(raw)) for number, raw in enumerate(split_lines(text), start=1)]
    content = [(number, line) for number, line in lines if line]

    header_date: HeaderDate | None = None
    position = 0
    while position < len(content):
        number, line = content[position]
        if line in BOILERPLATE:
            position += 1
            continue
        if header_date is None:
            found = parse_date_line(line, number)
            if found is not None:
                header_date = found
                position += 1
                continue
        unglued = strip_glued_boilerplate(line)
        if unglued != line:
            content[position] = (number, unglued)
        break

    body = content[position:]
    if len(body) % 2:
        number, _ = body[-1]
        raise GeneratorError("title without abstract (titles and abstracts must alternate)", origin or name, number)
    for number, title in body[::2]:
        if not visible(title):
            raise GeneratorError("title has no visible characters", origin or name, number)
    entries = tuple(
        Entry(
            title=" ".join(body[i][1].split()),
            abstract=body[i + 1][1],
            source=name,
            line=body[i][0],
        )
        for i in range(0, len(body), 2)
    )
    return Digest(name=name, entries=entries, header_date=header_date)


def split_lines(text: str) -> list[str]:
    """Split on LF, CRLF or CR only (not on the other separators str.splitlines knows)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return _LINE_BREAK.split(text)


def parse_date_line(line: str, number: int) -> HeaderDate | None:
    """Recognise a header date such as "Mar 11", "March 11" or "Mar 11, 2025"."""
    match = _DATE_LINE.match(line)
    if not match:
        return None
    month = MONTHS.get(match.group(1).lower())
    day = int(match.group(2))
    if month is None or not 1 <= day <= 31:
        return None
    year = int(match.group(3)) if match.group(3) else None
    return HeaderDate(month=month, day=day, year=year, line=number, text=line)


def strip_glued_boilerplate(line: str) -> str:
    """Remove boilerplate that a copy-and-paste glued to the front of the first title.

    Glued means no space in between and a capital or digit right after ("SubscribeA Bayesian"),
    so a title that merely starts with a word like "Subscribe" keeps it.
    """
    changed = True
    while changed:
        changed = False
        for prefix in _GLUED:
            rest = line[len(prefix) :]
            if line.startswith(prefix) and (rest[:1].isupper() or rest[:1].isdigit()):
                line = rest
                changed = True
    return line


def read_digest_file(path: Path, name: str, lenient: bool = False) -> Digest:
    """Read and parse one digest file (text, JSON or YAML, by its suffix)."""
    return parse_digest_bytes(path.read_bytes(), name, str(path), lenient)


def parse_digest_bytes(data: bytes, name: str, origin: str, lenient: bool = False) -> Digest:
    """Decode and parse a digest file's bytes, finding the links in each abstract; undecodable
    bytes are reported with their line.

    With `lenient`, structured digests leave out the items they cannot read (with a warning).
    """
    text = decode(data, origin)
    parser = PARSERS.get(PurePosixPath(name).suffix.lower())
    digest = parser(text, name, origin, lenient) if parser else parse_digest(text, name, origin)
    return replace(digest, entries=tuple(replace(e, links=extract_links(e.abstract)) for e in digest.entries))


def find_digest_files(directory: Path) -> list[tuple[str, Path]]:
    """List digest files under a folder as (name relative to it, path), sorted by name.

    The folder's own date manifest (digests.yaml) and enrichment file (enrichment.json), at its
    top, are not digests.
    """
    if not directory.is_dir():
        raise GeneratorError("digests folder not found", str(directory))
    found = [
        (path.relative_to(directory).as_posix(), path)
        for path in directory.rglob("*")
        if path.is_file() and path.suffix.lower() in DIGEST_SUFFIXES and not path.name.startswith(".")
    ]
    inside = directory.resolve()
    for _, path in found:
        if path.is_symlink() and inside not in path.resolve().parents:
            raise GeneratorError("is a link to a file outside the digests folder; copy the file in instead", str(path))
    return sorted((name, path) for name, path in found if name not in (MANIFEST_NAME, ENRICHMENT_NAME))
