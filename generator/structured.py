"""Read structured digests: Hugging Face daily_papers JSON, and YAML digests written by hand.

Both become the same Digest of entries as a text digest, each entry carrying Details (arXiv
id, authors, upvotes, links, ...). Values are read as plain text and numbers and shown
literally: a YAML title such as `yes` or `1.0` stays that text (nodes are composed, never
given YAML's implicit types), and nothing in either format is interpreted as markup.

Errors name the file, the line and the item's position: `digests/x.json:57: item 3: no title`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import logging
import re
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import yaml

from generator.dates import compose_yaml, read_date
from generator.errors import GeneratorError
from generator.model import Details, Digest, Entry, Link
from generator.text import clean_line, link_kind, visible

log = logging.getLogger("generator")

JSON_SUFFIXES = (".json",)
YAML_SUFFIXES = (".yaml", ".yml")
_ARXIV = re.compile(r"(?:arxiv:)?(\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})(?:v\d+)?", re.IGNORECASE)
_ISO_DAY = re.compile(r"(\d{4}-\d{2}-\d{2})(?:$|[T ])")
_LONG_NUMBER = re.compile(r"\d{4000,}")
# A \uXXXX escape of half a character: a high surrogate not followed by a low one, or a low one
# after none (escaped backslashes before the escape are counted in pairs).
_LONE_SURROGATE = re.compile(
    r"(?<!\\)(?:\\\\)*\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})(?<!\\)(?:\\\\)*\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
YAML_PAPER_KEYS = ("title", "abstract", "id", "authors", "links", "tags")
YAML_TOP_KEYS = ("date", "papers")


def one_line(text: str) -> str:
    """Text with hard line breaks undone and whitespace collapsed; control characters dropped."""
    return " ".join(clean_line(part) for part in text.splitlines()).strip() if text else ""


def arxiv_id(text: str) -> str | None:
    """An arXiv identifier without version or prefix ("2509.04664", "hep-th/9901001"), or None."""
    match = _ARXIV.fullmatch(text.strip())
    return match.group(1).lower() if match else None


def web_url(text: str) -> str | None:
    """An http(s) URL with a real host, or None (no javascript:, data: or relative links)."""
    url = text.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = parts.hostname or ""
    if parts.scheme.lower() not in ("http", "https") or "." not in host or any(c.isspace() for c in url):
        return None
    return url


def day(text: str) -> dt.date | None:
    """The calendar day of an ISO date or timestamp ("2025-09-08T02:44:20.973Z" → 2025-09-08)."""
    match = _ISO_DAY.match(text.strip())
    if not match:
        return None
    try:
        return dt.date.fromisoformat(match.group(1))
    except ValueError:
        return None


# ---- Hugging Face daily_papers JSON


def parse_json_digest(text: str, name: str, origin: str | None = None, lenient: bool = False) -> Digest:
    """Parse a daily_papers response: a list of items, each with a `paper` object.

    With `lenient`, an item that cannot be read is reported as a warning and left out.
    """
    origin = origin or name
    text = text.removeprefix("\ufeff")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise GeneratorError(f"invalid JSON: {err.msg} (column {err.colno})", origin, err.lineno) from None
    except RecursionError:
        raise GeneratorError("invalid JSON: nested too deeply", origin) from None
    except ValueError:  # a number of more digits than Python converts
        where = _LONG_NUMBER.search(text)
        line = text.count("\n", 0, where.start()) + 1 if where else None
        raise GeneratorError("invalid JSON: a number too long to read", origin, line) from None
    if (half := _LONE_SURROGATE.search(text)) is not None:
        line = text.count("\n", 0, half.start()) + 1
        raise GeneratorError("invalid JSON: a lone surrogate (half a character) in a string", origin, line)
    if not isinstance(document, list):
        raise GeneratorError('expected a list of daily_papers items ([{"paper": {...}}, ...])', origin, 1)
    entries = []
    days: list[tuple[dt.date, int]] = []
    for position, (line, item) in enumerate(_item_lines(text, document), start=1):
        try:
            entry, submitted = json_item(item, position, name, origin, line)
        except GeneratorError as err:
            if not lenient:
                raise
            log.warning("%s; left out (lenient mode)", err.location_message())
            continue
        entries.append(entry)
        if submitted is not None:
            days.append((submitted, line))
    own_date, own_line = _commonest_day(days)
    return Digest(name=name, entries=tuple(entries), own_date=own_date, own_date_line=own_line)


def _item_lines(text: str, document: list[Any]) -> list[tuple[int, Any]]:
    """Each item of a (valid) top-level JSON array with the line it starts on."""
    newlines = [i for i, c in enumerate(text) if c == "\n"]
    decoder = json.JSONDecoder()
    position = text.index("[") + 1
    out = []
    for item in document:
        while text[position] in " \t\r\n,":
            position += 1
        _, end = decoder.raw_decode(text, position)
        out.append((bisect.bisect_right(newlines, position - 1) + 1, item))
        position = end
    return out


def _commonest_day(days: list[tuple[dt.date, int]]) -> tuple[dt.date | None, int | None]:
    """The day most items were submitted on (ties: the latest) and the first line that says it."""
    if not days:
        return None, None
    counts = Counter(d for d, _ in days)
    best = max(counts, key=lambda d: (counts[d], d))
    return best, min(line for d, line in days if d == best)


def json_item(item: Any, position: int, name: str, origin: str, line: int) -> tuple[Entry, dt.date | None]:
    """One daily_papers (or paper search) item as an entry, and the day it was submitted to Daily Papers.

    Its fields are read from its `paper` object, else from the item itself.
    """
    where = f"item {position}"
    if not isinstance(item, dict):
        raise GeneratorError(f"{where}: expected an object with a 'paper'", origin, line)
    paper = item.get("paper")
    if paper is None:
        paper = {}
    if not isinstance(paper, dict):
        raise GeneratorError(f"{where}: 'paper' must be an object", origin, line)

    def field(key: str, kind: type) -> Any:
        """A field of the paper, else of the item (search results may be flat), if of the right kind."""
        for source in (paper, item):
            value = source.get(key)
            if value is None:
                continue
            if isinstance(value, kind) and not (isinstance(value, bool) and kind is not bool):
                return value
            log.warning("%s:%d: %s: ignoring %r (not a %s)", origin, line, where, key, _kind_name(kind))
        return None

    title = one_line(field("title", str) or "")
    if not visible(title):
        raise GeneratorError(f"{where}: no title", origin, line)
    abstract = one_line(field("summary", str) or "")
    if not visible(abstract):
        raise GeneratorError(f"{where}: no summary (the abstract)", origin, line)
    identifier = None
    raw_id = field("id", str)
    if raw_id is not None:
        identifier = arxiv_id(raw_id)
        if identifier is None:
            log.warning("%s:%d: %s: %r is not an arXiv id; ignored", origin, line, where, raw_id)
    authors = []
    for author in field("authors", list) or []:
        author_name = author.get("name") if isinstance(author, dict) else author
        if isinstance(author_name, str) and visible(one_line(author_name)):
            authors.append(one_line(author_name))
    keywords = [one_line(k) for k in field("ai_keywords", list) or [] if isinstance(k, str) and visible(one_line(k))]
    details = Details(
        arxiv_id=identifier,
        authors=tuple(authors),
        published=day(field("publishedAt", str) or ""),
        upvotes=_count(field("upvotes", int)),
        comments=_count(field("numComments", int)),
        github=_url(field("githubRepo", str), origin, line, where),
        github_stars=_count(field("githubStars", int)),
        project_page=_url(field("projectPage", str), origin, line, where),
        ai_summary=one_line(field("ai_summary", str) or "") or None,
        ai_keywords=tuple(dict.fromkeys(keywords)),
    )
    submitted = day(field("submittedOnDailyAt", str) or "")
    return Entry(title=title, abstract=abstract, source=name, line=line, details=details), submitted


def _kind_name(kind: type) -> str:
    """How a warning names a JSON value's kind."""
    names: dict[type, str] = {str: "text", int: "whole number", list: "list", dict: "object"}
    return names.get(kind, "value")


def _count(value: int | None) -> int | None:
    """A count, or None when absent or negative."""
    return value if value is not None and value >= 0 else None


def _url(value: str | None, origin: str, line: int, where: str) -> str | None:
    """A web URL from a digest, or None with a warning when it is not one."""
    if not value:
        return None
    url = web_url(value)
    if url is None:
        log.warning("%s:%d: %s: %r is not an http(s) URL; ignored", origin, line, where, value)
    return url


# ---- YAML digests written by hand


def parse_yaml_digest(text: str, name: str, origin: str | None = None, lenient: bool = False) -> Digest:
    """Parse a hand-written YAML digest: `date` (optional) and `papers`, a list of title/abstract/...

    With `lenient`, a paper that cannot be read is reported as a warning and left out.
    """
    origin = origin or name
    root = compose_yaml(text, origin)
    if root is None:
        raise GeneratorError("empty YAML digest (expected 'date' and 'papers')", origin)
    top = _mapping(root, origin, "the digest", YAML_TOP_KEYS)
    own_date = own_line = None
    if "date" in top:
        _scalar(top["date"], origin, "date")
        own_date, own_line = read_date(top["date"], origin), top["date"].start_mark.line + 1
    if "papers" not in top:
        raise GeneratorError("no 'papers' list", origin, root.start_mark.line + 1)
    papers = top["papers"]
    if not isinstance(papers, yaml.SequenceNode):
        raise GeneratorError("'papers' must be a list", origin, papers.start_mark.line + 1)
    entries = []
    for position, node in enumerate(papers.value, start=1):
        try:
            entries.append(_yaml_entry(node, position, name, origin))
        except GeneratorError as err:
            if not lenient:
                raise
            log.warning("%s; left out (lenient mode)", err.location_message())
    return Digest(name=name, entries=tuple(entries), own_date=own_date, own_date_line=own_line)


def _yaml_entry(node: yaml.Node, position: int, name: str, origin: str) -> Entry:
    """One paper of a YAML digest."""
    where = f"paper {position}"
    line = node.start_mark.line + 1
    fields = _mapping(node, origin, where, YAML_PAPER_KEYS)
    if "title" not in fields:
        raise GeneratorError(f"{where}: no title", origin, line)
    title = one_line(_scalar(fields["title"], origin, f"{where}: title"))
    if not visible(title):
        raise GeneratorError(f"{where}: no title", origin, line)
    if "abstract" not in fields:
        raise GeneratorError(f"{where}: no abstract", origin, line)
    abstract = one_line(_scalar(fields["abstract"], origin, f"{where}: abstract"))
    if not visible(abstract):
        raise GeneratorError(f"{where}: no abstract", origin, fields["abstract"].start_mark.line + 1)
    identifier = None
    if "id" in fields:
        raw = _scalar(fields["id"], origin, f"{where}: id")
        identifier = arxiv_id(raw)
        if identifier is None:
            raise GeneratorError(f"{where}: {raw!r} is not an arXiv id", origin, fields["id"].start_mark.line + 1)
    authors = _texts(fields.get("authors"), origin, f"{where}: authors")
    tags = _texts(fields.get("tags"), origin, f"{where}: tags")
    links = _links(fields.get("links"), origin, where)
    details = Details(arxiv_id=identifier, authors=authors, tags=tags, links=links)
    return Entry(title=title, abstract=abstract, source=name, line=line, details=details)


def _mapping(node: yaml.Node, origin: str, what: str, allowed: tuple[str, ...]) -> dict[str, yaml.Node]:
    """A mapping node's values by key; unknown or repeated keys are errors naming their line."""
    if not isinstance(node, yaml.MappingNode):
        raise GeneratorError(f"{what}: expected keys such as {', '.join(allowed)}", origin, node.start_mark.line + 1)
    out: dict[str, yaml.Node] = {}
    for key, value in node.value:
        label = key.value if isinstance(key, yaml.ScalarNode) else "?"
        if label not in allowed:
            raise GeneratorError(
                f"{what}: unknown key {label!r} (expected one of: {', '.join(allowed)})",
                origin,
                key.start_mark.line + 1,
            )
        if label in out:
            raise GeneratorError(f"{what}: {label!r} given twice", origin, key.start_mark.line + 1)
        out[label] = value
    return out


def _scalar(node: yaml.Node, origin: str, what: str) -> str:
    """A scalar's text exactly as written (no implicit typing: `yes` stays "yes")."""
    if not isinstance(node, yaml.ScalarNode):
        raise GeneratorError(f"{what}: expected text", origin, node.start_mark.line + 1)
    return str(node.value)


def _texts(node: yaml.Node | None, origin: str, what: str) -> tuple[str, ...]:
    """A list of texts (or one text), each on one line, empty ones dropped."""
    if node is None:
        return ()
    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
    texts = [one_line(_scalar(item, origin, what)) for item in items]
    return tuple(dict.fromkeys(t for t in texts if visible(t)))


def _links(node: yaml.Node | None, origin: str, where: str) -> tuple[Link, ...]:
    """Links as URLs (their kind guessed) or `{kind, url}` mappings; only http(s) URLs."""
    if node is None:
        return ()
    if not isinstance(node, yaml.SequenceNode):
        raise GeneratorError(f"{where}: links must be a list", origin, node.start_mark.line + 1)
    links = []
    for item in node.value:
        line = item.start_mark.line + 1
        kind: str | None = None
        if isinstance(item, yaml.MappingNode):
            fields = _mapping(item, origin, f"{where}: link", ("kind", "url"))
            if "url" not in fields:
                raise GeneratorError(f"{where}: link without url", origin, line)
            raw = _scalar(fields["url"], origin, f"{where}: link")
            kind = _scalar(fields["kind"], origin, f"{where}: link kind").strip().lower() if "kind" in fields else None
        else:
            raw = _scalar(item, origin, f"{where}: link")
        url = web_url(raw)
        if url is None:
            raise GeneratorError(f"{where}: {raw!r} is not an http(s) URL", origin, line)
        links.append(Link(kind=kind or link_kind(url), url=url))
    return tuple(links)


PARSERS: dict[str, Callable[[str, str, str | None, bool], Digest]] = {
    **dict.fromkeys(JSON_SUFFIXES, parse_json_digest),
    **dict.fromkeys(YAML_SUFFIXES, parse_yaml_digest),
}
