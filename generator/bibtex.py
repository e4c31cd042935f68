"""BibTeX entries for papers: `@misc`, with `eprint` and `archivePrefix = {arXiv}` when the id is known.

Titles and names are digest text: every character BibTeX or LaTeX reads as syntax is escaped,
so an entry always parses and braces always balance, whatever the text.
"""

from __future__ import annotations

import re

from generator.model import Paper

_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "_": r"\_",
    "$": r"\$",
    "^": r"\^{}",
    "~": r"\~{}",
}
_TABLE = str.maketrans(_SPECIAL)
_AND = re.compile(r"\band\b", re.IGNORECASE)


def escape(text: str) -> str:
    """Text as BibTeX field content: LaTeX's special characters escaped, on one line."""
    return " ".join(text.split()).translate(_TABLE)


def author_field(names: tuple[str, ...]) -> str:
    """Authors joined by `and`; a name that itself contains the word "and" is braced whole."""
    return " and ".join("{" + escape(n) + "}" if _AND.search(n) else escape(n) for n in names)


def year(paper: Paper) -> int | None:
    """The year to cite: publication when known, else the paper's first appearance."""
    if paper.details.published is not None:
        return paper.details.published.year
    first = paper.first_date
    return first.year if first else None


def entry(paper: Paper, url: str | None = None) -> str:
    """One `@misc` entry, keyed by the paper's permanent slug; `url` when there is no arXiv id."""
    arxiv = paper.details.arxiv_id
    fields = [("title", "{" + escape(paper.title) + "}")]
    if paper.details.authors:
        fields.append(("author", author_field(paper.details.authors)))
    cited = year(paper)
    if cited is not None:
        fields.append(("year", str(cited)))
    if arxiv:
        fields += [("eprint", arxiv), ("archivePrefix", "arXiv"), ("url", f"https://arxiv.org/abs/{arxiv}")]
    elif url:
        fields.append(("url", escape(url)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{paper.id},\n{body}\n}}\n"
