"""The one place where untrusted digest text becomes page markup.

Digest text is data. Every ASCII character that Markdown, HTML, Jinja, MkDocs extensions or
TeX delimiters could read as syntax becomes a numeric character reference, which Markdown
passes through untouched and a browser shows as the character itself. The result is safe in
Markdown inline text, in raw HTML blocks and inside link text alike.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from urllib.parse import quote_plus

from markupsafe import Markup

from generator.errors import printable
from generator.text import replacer, tokenize

_SYNTAX = '!"#$%&()*+-.:<=>@[\\]^_`{|}~'
_ESCAPE = replacer({c: f"&#{ord(c)};" for c in _SYNTAX})
_HREF_ESCAPE = replacer({c: f"&#{ord(c)};" for c in "$`\\[]"})
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_INTERNAL_PATH = re.compile(r"^[A-Za-z0-9._/-]+(#[A-Za-z0-9_-]+)?$")
# Characters XML 1.0 cannot carry at all, even as references (most controls, U+FFFE, U+FFFF).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# A spreadsheet reads a cell starting with one of these as a formula.
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def lit(text: str) -> Markup:
    """Show text literally: nothing in it can become markup."""
    return Markup(_ESCAPE(str(text)))


def file_name(name: str) -> Markup:
    """A digest's file name, literally, on one line: a control character in it (a line break
    would end a heading) is shown as an escape, as Python writes it (`\\n`)."""
    return lit(printable(name))


def rich(text: str, links: bool = True) -> Markup:
    """Show an abstract literally, with its TeX marked for math rendering and its URLs linked.

    Math keeps its dollar signs, so it still reads as written when no renderer loads.
    """
    parts: list[str] = []
    for kind, value in tokenize(text):
        if kind == "math":
            parts.append(f'<span class="arithmatex">{lit(value)}</span>')
        elif kind == "url" and links:
            parts.append(f'<a href="{href(value)}">{lit(value)}</a>')
        else:
            parts.append(lit(value))
    return Markup("".join(parts))


def title(text: str) -> Markup:
    """Show a title literally with its TeX marked for math; safe inside link text (no links)."""
    return rich(text, links=False)


def href(url: str) -> Markup:
    """Quote an http(s) URL for an HTML attribute; anything else is refused."""
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError(f"refusing to link to {url!r}")
    # `$` would start arithmatex math inside the attribute: Markdown's inline patterns run
    # before raw HTML is set aside. A character reference is decoded back by the browser.
    return Markup(_HREF_ESCAPE(html.escape(url, quote=True)))


def external(url: str) -> Markup:
    """An outbound link that shows its own URL."""
    return Markup(f'<a href="{href(url)}">{lit(url)}</a>')


def internal(path: str) -> Markup:
    """A path the generator made itself (slugs, ISO dates), checked to be plain."""
    if not _INTERNAL_PATH.match(path):
        raise ValueError(f"not a plain internal path: {path!r}")
    return Markup(path)


def arxiv_search(title: str) -> Markup:
    """URL of an arXiv title search for a paper."""
    return href(f"https://arxiv.org/search/?query={quote_plus(title)}&searchtype=title")


def hf_search(title: str) -> Markup:
    """URL of a Hugging Face Papers search for a paper."""
    return href(f"https://huggingface.co/papers?q={quote_plus(title)}")


def day(date: dt.date | None) -> Markup:
    """ISO date, or "undated"."""
    return Markup(date.isoformat() if date else "undated")


def long_date(date: dt.date) -> Markup:
    """A date for reading, the same in every locale: "Tuesday 11 March 2025"."""
    return Markup(f"{WEEKDAYS[date.weekday()]} {date.day} {MONTH_NAMES[date.month - 1]} {date.year}")


def month_name(date: dt.date) -> Markup:
    """A month for reading: "March 2025"."""
    return Markup(f"{MONTH_NAMES[date.month - 1]} {date.year}")


def xml(text: str) -> Markup:
    """Text for XML content or an attribute: escaped, and characters XML cannot hold replaced."""
    return Markup(html.escape(_NOT_XML.sub("\ufffd", str(text)), quote=True))


def csv_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text: an apostrophe goes before a formula's first character.

    Values that already start with an apostrophe get one too, so reading back is exact: drop
    one leading apostrophe if there is one (see `csv_value`).
    """
    return "'" + text if text.startswith((*CSV_FORMULA_START, "'")) else text


def csv_value(cell: str) -> str:
    """The value a cell written by `csv_cell` holds."""
    return cell[1:] if cell.startswith("'") else cell


def instant(date: dt.date) -> Markup:
    """A date as an RFC 3339 instant (midnight UTC), as Atom wants it."""
    return Markup(f"{date.isoformat()}T00:00:00Z")


def finalize(value: object) -> object:
    """Refuse to print anything that did not pass through one of the filters above."""
    if isinstance(value, Markup) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise TypeError(f"template printed {value!r} without a filter from generator.markup")


FILTERS = {
    "lit": lit,
    "file_name": file_name,
    "rich": rich,
    "title": title,
    "href": href,
    "external": external,
    "internal": internal,
    "arxiv_search": arxiv_search,
    "hf_search": hf_search,
    "day": day,
    "long_date": long_date,
    "month_name": month_name,
    "xml": xml,
    "instant": instant,
}
