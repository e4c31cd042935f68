"""BibTeX entries for papers: `@misc`, with `eprint` and `archivePrefix = {arXiv}` when the id is known.

One function writes every entry: the short one on a paper's page and the full one in
papers.bib. Titles, names and abstracts are digest text: every character BibTeX or LaTeX reads
as syntax is written as a command that prints it, so an entry always parses and its braces
always balance, whatever the text.
"""

from __future__ import annotations

import re

from generator.model import Paper
from generator.text import replacer

_ESCAPE = replacer(
    {
        "\\": r"\textbackslash{}",
        "{": r"\textbraceleft{}",
        "}": r"\textbraceright{}",
        "$": r"\$",
        "&": r"\&",
        "%": r"\%",
        "#": r"\#",
        "_": r"\_",
        "^": r"\textasciicircum{}",
        "~": r"\textasciitilde{}",
    }
)
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_AND = re.compile(r"\band\b", re.IGNORECASE)


def escape(text: str) -> str:
    """Text for a braced BibTeX field: every special character printed literally, on one line."""
    return _ESCAPE(" ".join(str(text).split()))


def author_field(names: tuple[str, ...]) -> str:
    """Authors joined by `and`; a name that itself contains the word "and" is braced whole."""
    return " and ".join("{" + escape(n) + "}" if _AND.search(n) else escape(n) for n in names)


def entry(paper: Paper, url: str | None = None, full: bool = False) -> str:
    """One `@misc` entry keyed by the paper's permanent id.

    Its url is the arXiv abstract when the id is known, else `url` (the paper's page) if given;
    its date is the publication date when known, else the paper's first appearance. `full` adds
    topics, links and the abstract, as papers.bib carries them.
    """
    details = paper.details
    first = paper.first_date
    when = details.published or first
    fields = [("title", "{" + escape(paper.title) + "}")]  # double braces keep the title's capitals
    if details.authors:
        fields.append(("author", author_field(details.authors)))
    if when is not None:
        fields.append(("year", str(when.year)))
    if details.arxiv_id:
        fields += [("eprint", details.arxiv_id), ("archivePrefix", "arXiv")]
    link = f"https://arxiv.org/abs/{details.arxiv_id}" if details.arxiv_id else url
    if link:
        fields.append(("url", link))  # arXiv ids and our own URLs hold no braces or backslashes
    if when is not None:
        fields.append(("month", MONTHS[when.month - 1]))
    shown = f"Hugging Face Daily Papers, {first.isoformat()}" if first else "Hugging Face Daily Papers"
    fields.append(("howpublished", shown))
    if full:
        if paper.tags:
            fields.append(("keywords", escape(", ".join(paper.tags))))
        if paper.links:
            fields.append(("note", escape(" ".join(f"{k.kind.capitalize()}: {k.url}" for k in paper.links))))
        fields.append(("abstract", escape(paper.abstract)))
    body = "".join(f"  {name} = {value if name == 'month' else '{' + value + '}'},\n" for name, value in fields)
    return f"@misc{{{paper.id},\n{body}}}\n"
