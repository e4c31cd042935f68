"""Read structure out of abstract text: math spans, links, the first sentence; and replacer,
the quick character replacement that escaping text for pages and BibTeX uses."""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable
from urllib.parse import urlsplit

from generator.model import Link

# Inline TeX as arithmatex finds it: no space just inside the dollars, no escaped dollar.
# A digit right after the closing dollar means money ("$5-$10"), not math.
_MATH = re.compile(
    r"(?<![\\$])\$\$(?!\s)(?:\\.|[^\\$])+?(?<!\s)\$\$|(?<![\\$])\$(?!\s)(?:\\.|[^\\$])+?(?<!\s)\$(?![\d$])"
)
# A URL stops at whitespace, quotes, angle brackets and TeX braces ("https://x/{https://x/}").
# Invisible format characters (zero-width, bidi marks) also end it: a link must go where it reads.
_URL = re.compile(
    r"https?://[^\s<>\"'{}\[\]\\^`|\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]+", re.IGNORECASE
)
_TRAILING = ".,;:!?*'\""
_SENTENCE_END = re.compile(r"[.!?](?=\s+[A-Z0-9\"'(\[$\\])")
_ABBREVIATIONS = ("e.g.", "i.e.", "et al.", "etc.", "vs.", "Fig.", "Eq.", "cf.", "approx.", "resp.", "w.r.t.")
SNIPPET_LIMIT = 300
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Unicode category Cc is exactly U+0000-U+001F and U+007F-U+009F: one search finds any of them.
_CONTROL_OR_BIDI = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

Token = tuple[str, str]  # ("text" | "math" | "url", text)


def math_spans(text: str) -> list[tuple[int, int]]:
    """Return (start, end) of each inline or display TeX span delimited by dollars."""
    spans = []
    position = 0
    for kind, value in tokenize(text):
        if kind == "math":
            spans.append((position, position + len(value)))
        position += len(value)
    return spans


def tokenize(text: str) -> list[Token]:
    """Split abstract text into plain text, URLs and TeX math, in order and losslessly.

    URLs are found first, so a dollar inside a URL never opens or closes math.
    """
    tokens: list[Token] = []
    for kind, value in _url_tokens(text):
        if kind == "url":
            tokens.append((kind, value))
            continue
        if "$" not in value:  # most text has no math: skip the slow scan (its pattern has no fixed start)
            tokens.append(("text", value))
            continue
        position = 0
        for match in _MATH.finditer(value):
            tokens.append(("text", value[position : match.start()]))
            tokens.append(("math", match.group(0)))
            position = match.end()
        tokens.append(("text", value[position:]))
    return [t for t in tokens if t[1]]


def _url_tokens(text: str) -> list[Token]:
    """Split text into plain text and cleaned URL tokens."""
    if "://" not in text:
        return [("text", text)]
    tokens: list[Token] = []
    position = 0
    for match in _URL.finditer(text):
        url = clean_url(match.group(0))
        if not _plausible(url):
            continue
        start = match.start()
        tokens.append(("text", text[position:start]))
        tokens.append(("url", url))
        position = start + len(url)
    tokens.append(("text", text[position:]))
    return tokens


def clean_url(url: str) -> str:
    """Strip sentence punctuation and unbalanced closing brackets from the end of a URL."""
    while url:
        if url[-1] in _TRAILING or (url[-1] == ")" and url.count(")") > url.count("(")):
            url = url[:-1]
        else:
            break
    return url


def _plausible(url: str) -> bool:
    """A URL worth linking has a host with a dot in it."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    return "." in host and not host.startswith(".") and not host.endswith(".")


def extract_links(text: str) -> tuple[Link, ...]:
    """Find code, project and data links in an abstract, each once, in order."""
    links: list[Link] = []
    seen: set[str] = set()
    for kind, value in tokenize(text):
        if kind != "url" or value.lower() in seen:
            continue
        seen.add(value.lower())
        links.append(Link(kind=link_kind(value, text), url=value))
    return tuple(links)


def link_kind(url: str, context: str = "") -> str:
    """Label a link: code repositories, Hugging Face models, datasets and demos, project pages."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = [p for p in parts.path.split("/") if p]
    if host in ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org") and len(path) >= 2:
        return "code"
    if host in ("huggingface.co", "hf.co"):
        if path[:1] == ["datasets"]:
            return "dataset"
        if path[:1] == ["spaces"]:
            return "demo"
        if path[:1] == ["papers"]:
            return "paper"
        return "model"
    if host.endswith(".github.io") or host.endswith(".gitlab.io"):
        return "project"
    where = context.find(url)
    before = context[max(0, where - 40) : where].lower() if where >= 0 else ""
    if "project" in before or "website" in before or "homepage" in before:
        return "project"
    if "data" in before:
        return "dataset"
    return "website"


def first_sentence(text: str, limit: int = SNIPPET_LIMIT) -> str:
    """The abstract's first sentence (never cut inside TeX), shortened with an ellipsis past `limit`.

    Only the first `limit` characters are searched, so the cost does not grow with the abstract.
    """
    spans = math_spans(text)
    starts = [start for start, _ in spans]

    def inside_math(index: int) -> bool:
        position = bisect.bisect_right(starts, index) - 1
        return position >= 0 and index < spans[position][1]

    end = len(text)
    for match in _SENTENCE_END.finditer(text, 0, limit + 40):
        index = match.start()
        if index >= limit:
            break
        if index < 20 or inside_math(index):
            continue
        if any(text.endswith(abbreviation, 0, index + 1) for abbreviation in _ABBREVIATIONS):
            continue
        end = index + 1
        break
    if end <= limit:
        return text[:end]
    cut = limit
    while cut > 0 and (text[cut] != " " or inside_math(cut)):
        cut -= 1
    return (text[:cut] if cut > 0 else text[:limit]).rstrip(" ,;:") + "…"


def replacer(table: dict[str, str]) -> Callable[[str], str]:
    """A function doing `str.translate` with this table (characters to strings), about ten times faster.

    translate looks every character up; this searches the text once per character of the table,
    in C, and replaces only those present. Characters that occur in another one's replacement
    are done first, together, so that no later replacement rewrites what an earlier one wrote.
    """
    early = sorted(char for char in table if any(char in value for other, value in table.items() if other != char))
    first = {ord(char): table[char] for char in early}
    late = tuple((char, table[char]) for char in sorted(table) if char not in early)

    def replace(text: str) -> str:
        for char in early:
            if char in text:
                text = text.translate(first)
                break
        for char, value in late:
            if char in text:
                text = text.replace(char, value)
        return text

    return replace


def clean_line(raw: str) -> str:
    """Strip surrounding whitespace, drop control characters and bidi overrides, keep the rest.

    Control characters that separate words (tab, U+0085, U+001C-U+001F) become spaces. Bidi
    embeddings, overrides and isolates are dropped: they could make text read other than it is.
    """
    if _CONTROL_OR_BIDI.search(raw):
        raw = "".join(
            (" " if c.isspace() else "") if unicodedata.category(c) == "Cc" or c in _BIDI_CONTROLS else c for c in raw
        )
    return raw.strip()


def visible(text: str) -> bool:
    """Whether text has at least one character that shows (not space, control or format)."""
    return any(not c.isspace() and unicodedata.category(c) not in ("Cc", "Cf", "Zs") for c in text)
