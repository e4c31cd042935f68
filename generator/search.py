"""Search: a static inverted index of every paper, split so a query downloads only a little.

The browser (site_src/assets/javascripts/search.js) finds a query's words in small term
shards, scores the papers itself and fetches only the few it shows. Everything lives under
SEARCH_ROOT:

- `meta.json`: the number of papers, the shard prefixes, the stop words, the topics, years
  and months (with counts) the search page filters by;
- `terms/<prefix>.json`: `{term: [paper, impact, paper, impact, ...]}` for the terms filed
  under a prefix; paper numbers are delta-coded, so the lists stay short as text;
- `docs/<n>.json`: papers n*DOC_CHUNK to n*DOC_CHUNK+DOC_CHUNK-1, each
  `[url, title, newest date, [topic numbers], abstract, [first authors], number of authors]`;
- `filters/<kind>/<value>.json`: the (delta-coded) papers of a topic, year or month.

Papers are numbered by first appearance, then id, so a new digest mostly appends. An impact
is a paper's field-weighted, saturated term frequency (title and authors above topics above
abstract), times IMPACT_SCALE and rounded; the browser multiplies it by the term's IDF, which it gets
from the length of the posting list. No number here depends on the rest of the archive, so a
new paper leaves the postings of words it does not use untouched.

Text becomes terms the same way here and in search.js (a test checks that they agree):
Unicode NFKD without marks, lower case, runs of letters and digits, hyphenated compounds also
joined ("fine-tuning" is fine, tuning and finetuning), stop words out, plurals folded.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
from scipy import sparse

from generator.model import Archive, Paper

SEARCH_ROOT = "search-index"
DOC_CHUNK = 10  # papers per docs/ file: a page of results needs at most ten small files
SHARD_BYTES = 24_000  # a term shard is split by longer prefixes until it is about this size
MIN_PREFIX = 2
# Field weights: one title occurrence outweighs any number in the abstract (which saturate
# at K1 + 1 = 2.2), so title matches rank first.
TITLE_WEIGHT = 4.0
TOPIC_WEIGHT = 2.5
AUTHOR_WEIGHT = 3.0  # a search for a name should find the author's papers first
SHOWN_AUTHORS = 10  # names a result record carries ("et al." after them)
K1 = 1.2
B = 0.5
PIVOT = 150.0  # a typical abstract's length in terms; fixed, so impacts are per paper only
IMPACT_SCALE = 20

# Words too common to search for: short function words only (a researcher may well search
# for "system", "first" or "show", which larger lists drop).
STOP_WORDS = frozenset(
    """
    a about above after again all also am an and any are as at be been before being below between both
    but by can could did do does doing down during each few for from further had has have having he her
    here hers him his how i if in into is it its itself just me more most my no nor not now of off on
    once only or other our ours out over own same she should so some such than that the their theirs
    them then there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your
    """.split()
)

_TOKEN = re.compile(r"[^\W_]+(?:-[^\W_]+)*")


def fold(text: str) -> str:
    """Lower case, without accents or other combining marks (NFKD, marks dropped)."""
    decomposed = unicodedata.normalize("NFKD", text)
    if not decomposed.isascii():
        decomposed = _NON_ASCII.sub(lambda match: _fold_char(match.group()), decomposed)
    return decomposed.lower()


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@functools.lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    """A non-ASCII character, or nothing for a combining mark."""
    return "" if unicodedata.category(char).startswith("M") else char


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Fold English plurals: losses→loss, studies→study, models→model; short words stay."""
    if len(word) <= 3 or word[-1] != "s":
        return word
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ss", "us", "is")):
        return word
    return word[:-1]


def words(text: str) -> Iterator[str]:
    """The searchable words of a text, in order: parts of compounds, then the compound joined."""
    for token in _TOKEN.findall(fold(text)):
        if "-" in token:
            parts = token.split("-")
            yield from parts
            yield "".join(parts)
        else:
            yield token


@functools.lru_cache(maxsize=262144)
def _token_terms(token: str) -> tuple[str, ...]:
    """The index terms of one token of folded text."""
    return tuple(stem(w) for w in words(token) if w not in STOP_WORDS)


def terms(text: str) -> list[str]:
    """The index terms of a text: its words without stop words, plurals folded."""
    return [term for token in _TOKEN.findall(fold(text)) for term in _token_terms(token)]


def _saturate(tf: float, length_norm: float = 1.0) -> float:
    """BM25's term-frequency saturation."""
    return tf * (K1 + 1) / (tf + K1 * length_norm)


def term_counts(text: str) -> tuple[dict[str, int], int]:
    """How often each index term occurs in a text, and how many term occurrences it has in all."""
    found = list(itertools.chain.from_iterable(map(_token_terms, _TOKEN.findall(fold(text)))))
    return dict(Counter(found)), len(found)


def scores(title: str, abstract: str, tags: tuple[str, ...], authors: tuple[str, ...]) -> dict[str, float]:
    """Each term of a paper and its weight: saturated frequency in the abstract, plus title, topics, authors."""
    counts, length = term_counts(abstract)
    norm = K1 * (1 - B + B * length / PIVOT)
    score = {term: tf * (K1 + 1) / (tf + norm) for term, tf in counts.items()}
    for term, tf in term_counts(title)[0].items():
        score[term] = score.get(term, 0.0) + TITLE_WEIGHT * _saturate(tf)
    for term in {t for name in tags for t in terms(name)}:
        score[term] = score.get(term, 0.0) + TOPIC_WEIGHT
    for term in {t for name in authors for t in terms(name)}:
        score[term] = score.get(term, 0.0) + AUTHOR_WEIGHT
    return score


def quantise(weights: np.ndarray) -> np.ndarray:
    """Weights as the small whole numbers the index stores (at least 1)."""
    return np.maximum(1, np.floor(weights * IMPACT_SCALE + 0.5)).astype(np.int64)


def impacts(paper: Paper) -> dict[str, int]:
    """Each term of a paper and the impact the index stores for it."""
    weights = scores(paper.title, paper.abstract, paper.tags, paper.details.authors)
    return dict(zip(weights, quantise(np.fromiter(weights.values(), dtype=np.float64)).tolist(), strict=True))


def numbering(papers: Iterable[Paper]) -> list[Paper]:
    """Papers in search order: by first appearance (undated first), then id."""
    return sorted(papers, key=lambda p: (p.first_date is not None, p.first_date or 0, p.id))


def _delta(numbers: Iterable[int]) -> list[int]:
    """Sorted numbers as gaps from the previous one."""
    out, last = [], 0
    for n in numbers:
        out.append(n - last)
        last = n
    return out


def shard_prefixes(sizes: dict[str, int], limit: int = SHARD_BYTES) -> dict[str, str]:
    """File every term under a prefix: its first MIN_PREFIX characters, longer where a shard would be too big.

    A term's shard is always the longest listed prefix it starts with, so the browser can find
    a word, or every word that starts with what was typed, from the list of prefixes alone.
    """
    assigned: dict[str, str] = {}
    top: dict[str, list[str]] = defaultdict(list)
    for term in sorted(sizes):
        top[term[:MIN_PREFIX]].append(term)
    waiting = list(top.items())  # (prefix, its terms): a list, not recursion, however long a word
    while waiting:
        prefix, group = waiting.pop()
        if len(group) == 1 or sum(sizes[t] for t in group) <= limit or all(len(t) <= len(prefix) for t in group):
            assigned.update(dict.fromkeys(group, prefix))
            continue
        children: dict[str, list[str]] = defaultdict(list)
        for term in group:
            if len(term) <= len(prefix):
                assigned[term] = prefix
            else:
                children[term[: len(prefix) + 1]].append(term)
        waiting += children.items()
    return assigned


def shard_file(prefix: str) -> str:
    """A shard's file name: the prefix itself when it is plain ASCII, else its UTF-8 in hex."""
    if re.fullmatch(r"[a-z0-9]+", prefix):
        return f"terms/{prefix}.json"
    return f"terms/x{prefix.encode('utf-8').hex()}.json"


def paper_weights(title: str, abstract: str, tags: tuple[str, ...], authors: tuple[str, ...]) -> tuple[str, bytes]:
    """A paper's term weights (scores), packed small: its terms joined by spaces (terms never
    contain spaces), and their weights as float64 bytes."""
    found = scores(title, abstract, tags, authors)
    return " ".join(found), np.fromiter(found.values(), dtype=np.float64, count=len(found)).tobytes()


def postings(packed: list[tuple[str, bytes]]) -> dict[str, str]:
    """Each term's posting list as JSON array text, from the papers' packed weights (paper_weights)
    in search order: paper-number gaps interleaved with impacts.

    All at once: one matrix of every paper's weights, one text of every number (each written
    once, through a table), cut into each term's list.
    """
    joined = " ".join(names for names, _ in packed if names)  # a paper may have no terms
    names = joined.split(" ") if joined else []
    vocabulary = {term: column for column, term in enumerate(dict.fromkeys(names))}
    lengths = [len(values) // 8 for _, values in packed]
    matrix = sparse.csr_matrix(
        (
            np.frombuffer(b"".join(values for _, values in packed), dtype=np.float64),
            np.fromiter(map(vocabulary.__getitem__, names), dtype=np.int64, count=len(names)),
            np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]),
        ),
        shape=(len(packed), len(vocabulary)),
    ).tocsc()
    matrix.sort_indices()  # each term's papers in ascending order
    indptr, numbers = matrix.indptr, matrix.indices.astype(np.int64)
    if not len(numbers):
        return {}
    gaps = numbers.copy()
    gaps[1:] -= numbers[:-1]
    gaps[indptr[:-1]] = numbers[indptr[:-1]]  # a list starts from paper 0 (every term has a paper)
    flat = np.empty(2 * len(gaps), dtype=np.int64)
    flat[0::2], flat[1::2] = gaps, quantise(matrix.data)
    table = [str(n) for n in range(int(flat.max()) + 1)]
    text = ",".join(np.array(table, dtype=object)[flat].tolist())
    # Where each number starts in `text` (a comma after each), so each term's list is a slice.
    widths = np.array([len(n) + 1 for n in table], dtype=np.int64)[flat]
    starts = np.concatenate([[0], np.cumsum(widths)])[2 * indptr].tolist()
    return {term: text[starts[column] : starts[column + 1] - 1] for term, column in vocabulary.items()}


def _dump(value: Any) -> str:
    """Compact, deterministic JSON; non-ASCII text kept as is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"


def weights_of(paper: Paper) -> tuple[str, bytes]:
    """A paper's packed term weights (paper_weights)."""
    return paper_weights(paper.title, paper.abstract, paper.tags, paper.details.authors)


def search_index(archive: Archive, weights: dict[str, tuple[str, bytes]] | None = None) -> dict[str, str]:
    """Every file of the search index, {path under the docs folder: text}; `weights` are each
    paper's packed term weights (weights_of), by id, where they are known already."""
    papers = numbering(archive.papers)
    topics = list(archive.topics)
    topic_number = {t.name: i for i, t in enumerate(topics)}
    slugs = {t.name: t.slug for t in topics}
    filters: dict[tuple[str, str], list[int]] = defaultdict(list)
    docs: list[list[Any]] = []
    for number, paper in enumerate(papers):
        dates = sorted({a.date.isoformat() for a in paper.appearances if a.date is not None})
        for value in sorted({d[:4] for d in dates}):
            filters[("year", value)].append(number)
        for value in sorted({d[:7] for d in dates}):
            filters[("month", value)].append(number)
        for name in paper.tags:
            filters[("topic", slugs[name])].append(number)
        docs.append(
            [
                paper.url,
                paper.title,
                dates[-1] if dates else "",
                sorted(topic_number[name] for name in paper.tags),
                paper.abstract,
                list(paper.details.authors[:SHOWN_AUTHORS]),
                len(paper.details.authors),
            ]
        )
    encoded = postings([weights[paper.id] if weights else weights_of(paper) for paper in papers])
    sizes = {term: len(term) + len(body) + 6 for term, body in encoded.items()}
    prefixes = shard_prefixes(sizes)
    shards: dict[str, list[str]] = defaultdict(list)
    for term, prefix in sorted(prefixes.items()):
        shards[prefix].append(f"{json.dumps(term, ensure_ascii=False)}:[{encoded[term]}]")
    files = {f"{SEARCH_ROOT}/{shard_file(prefix)}": "{" + ",".join(shards[prefix]) + "}\n" for prefix in shards}
    for start in range(0, len(docs), DOC_CHUNK):
        files[f"{SEARCH_ROOT}/docs/{start // DOC_CHUNK}.json"] = _dump(docs[start : start + DOC_CHUNK])
    for (kind, value), numbers in filters.items():
        files[f"{SEARCH_ROOT}/filters/{kind}/{value}.json"] = _dump(_delta(numbers))
    counts = Counter(kind_value for kind_value, numbers in filters.items() for _ in numbers)
    meta = {
        "version": 1,
        "papers": len(papers),
        "docChunk": DOC_CHUNK,
        "shards": sorted(shards),
        "stopWords": sorted(STOP_WORDS),
        "topics": [[t.name, t.slug, counts[("topic", t.slug)]] for t in topics],
        "years": sorted(([v, counts[(k, v)]] for k, v in filters if k == "year"), reverse=True),
        "months": sorted(([v, counts[(k, v)]] for k, v in filters if k == "month"), reverse=True),
    }
    files[f"{SEARCH_ROOT}/meta.json"] = _dump(meta)
    return dict(sorted(files.items()))
