"""Related papers: TF-IDF over title and abstract, cosine similarity, top few per paper.

Words are stemmed (Snowball) and paired into two-word phrases; English and boilerplate
research words are left out. Title terms count more than abstract terms (each title
occurrence counts TITLE_REPEAT times before sublinear scaling). Similarities are computed a
block of rows at a time, so memory stays at (block x papers): no N x N matrix ever exists.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
import snowballstemmer
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from generator.model import Paper, RelatedPaper

MAX_RELATED = 5
SIMILARITY_FLOOR = 0.15  # below this a "related" paper is filler, not a relation
MAX_TERMS = 3
TITLE_REPEAT = 3
BLOCK_CELLS = 8_000_000  # rows per block x papers: about 32 MB of float32 scores
QUERY_TERMS = 30  # terms per paper used to find candidates
CANDIDATES = 30  # candidates per paper scored exactly

# Words every abstract uses, which connect nothing.
DOMAIN_STOP_WORDS = frozenset(
    """
    paper propose proposed proposes approach approaches method methods result results show shows shown
    demonstrate demonstrates demonstrated novel existing new use used uses using based work works study
    studies studied experiment experiments experimental empirical empirically significantly significant
    improve improves improved improvement improvements achieve achieves achieved state art outperform
    outperforms outperforming different various problem problems introduce introduces introduced present
    presents presented provide provides provided finding findings find finds recent recently able
    effective effectively efficient efficiently simple simply key way ways code available github https
    http com www io org additionally furthermore moreover however therefore thus hence particular
    particularly specifically specific generally general typically usually often widely commonly
    surprising surprisingly interestingly notably importantly remarkably consistently substantially
    largely highly observe observed observation observations examine examined examining investigate
    investigated investigating investigation explore explored exploring aim aims goal goals allow allows
    allowing enable enables enabling lead leads led leading make makes making yield yields help helps
    conduct conducted extensive comprehensive release released open source publicly accompanied
    accompanying individual conditions condition factor factors aspect aspects case cases example
    examples number set sets value values type types level levels terms term step steps stage stages
    well known believe believed fact despite remain remains remained able address addresses addressing
    challenge challenges challenging crucial critical important essential fundamental natural question
    questions answer answers evidence insight insights understanding perspective overall better best
    good strong stronger weak lower higher large larger small smaller high low long short wide range
    ranging including include includes
    """.split()
)
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | DOMAIN_STOP_WORDS
# Words, with hyphenated compounds as one word ("fine-tuning" meets "finetuning").
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class Analyzer:
    """Turns text into stemmed words and two-word phrases, remembering how words are written."""

    def __init__(self) -> None:
        self._stemmer = snowballstemmer.stemmer("english")
        self._tokens: dict[str, tuple[tuple[str | None, str], ...]] = {}
        self.counts: Counter[str] = Counter()  # written words, to show a stem as people write it
        self._written: dict[str, str] | None = None

    def _stem(self, word: str) -> str | None:
        """A word's stem; None for stop words, single letters and words starting with a digit ("7b")."""
        if len(word) < 2 or word[0].isdigit() or word in STOP_WORDS:
            return None
        return str(self._stemmer.stemWord(word))

    def _token(self, token: str) -> tuple[tuple[str | None, str], ...]:
        """(stem, written word) pairs of a token; compounds stay whole unless a part is a letter or two."""
        found = self._tokens.get(token)
        if found is None:
            parts = token.split("-")
            if len(parts) > 1 and all(len(part) > 2 for part in parts):
                found = ((self._stem(token.replace("-", "")), token),)
            else:
                found = tuple((self._stem(part), part) for part in parts)
            self._tokens[token] = found
        return found

    def terms(self, text: str) -> list[str]:
        """Stemmed words and adjacent-word phrases of a text, stop words out."""
        tokens = _WORD.findall(text.lower())
        self.counts.update(tokens)
        stems = [stem for token in tokens for stem, _ in self._token(token)]
        terms = [stem for stem in stems if stem]
        terms += [f"{a} {b}" for a, b in itertools.pairwise(stems) if a and b]
        return terms

    def paper_terms(self, paper: Paper) -> list[str]:
        """A paper's terms, its title's counted TITLE_REPEAT times."""
        return self.terms(paper.title) * TITLE_REPEAT + self.terms(paper.abstract)

    def written(self, term: str) -> str:
        """How a term is most often written: each stem as its most frequent word (ties: alphabetical)."""
        if self._written is None:
            best: dict[str, tuple[int, str]] = {}
            for token, count in self.counts.items():
                for stem, word in self._token(token):
                    if stem and len(self._token(token)) == 1:
                        current = best.get(stem)
                        if current is None or (-count, word) < (-current[0], current[1]):
                            best[stem] = (count, word)
            self._written = {stem: word for stem, (_, word) in best.items()}
        return " ".join(self._written.get(part, part) for part in term.split(" "))


def find_related(
    papers: Sequence[Paper], limit: int = MAX_RELATED, floor: float = SIMILARITY_FLOOR
) -> dict[str, tuple[RelatedPaper, ...]]:
    """Up to `limit` related papers for each paper, most similar first, none below `floor`.

    Candidates come from each paper's QUERY_TERMS strongest terms (common words make the
    full product nearly dense and three times slower); the CANDIDATES best are then scored
    exactly. Ties break on paper id, so the result never depends on input order or chance.
    """
    ordered = sorted(papers, key=lambda p: p.id)
    empty: dict[str, tuple[RelatedPaper, ...]] = {p.id: () for p in ordered}
    if len(ordered) < 2:
        return empty
    analyzer = Analyzer()
    vectorizer = TfidfVectorizer(
        analyzer=analyzer.paper_terms,
        min_df=2,
        max_df=0.5,
        sublinear_tf=True,
        dtype=np.float32,
    )
    try:
        matrix = sparse.csr_matrix(vectorizer.fit_transform(ordered))
    except ValueError:  # no term is shared by two papers: nothing is related
        return empty
    matrix.sort_indices()
    vocabulary = vectorizer.get_feature_names_out()
    ids = [p.id for p in ordered]
    queries = strongest_terms(matrix, QUERY_TERMS)
    transposed = sparse.csr_matrix(matrix.T)
    count = len(ordered)
    width = min(CANDIDATES, count - 1)
    block = max(1, BLOCK_CELLS // count)
    result: dict[str, tuple[RelatedPaper, ...]] = {}
    for start in range(0, count, block):
        stop = min(start + block, count)
        rough = (queries[start:stop] @ transposed).toarray()
        rough[np.arange(stop - start), np.arange(start, stop)] = -1.0  # not related to itself
        candidates = np.sort(np.argpartition(-rough, width - 1, axis=1)[:, :width], axis=1)
        rows = np.repeat(np.arange(start, stop), width)
        exact = np.asarray(matrix[rows].multiply(matrix[candidates.ravel()]).sum(axis=1)).reshape(-1, width)
        for row in range(stop - start):
            index = start + row
            result[ids[index]] = _best(
                candidates[row], exact[row], index, matrix, vocabulary, ids, limit, floor, analyzer
            )
    return result


def strongest_terms(matrix: sparse.csr_matrix, keep: int) -> sparse.csr_matrix:
    """Each row with only its `keep` largest weights."""
    rows = []
    for i in range(matrix.shape[0]):
        start, stop = matrix.indptr[i], matrix.indptr[i + 1]
        data = matrix.data[start:stop]
        chosen = np.arange(start, stop) if stop - start <= keep else start + np.argpartition(-data, keep - 1)[:keep]
        rows.append(np.sort(chosen))
    positions = np.concatenate(rows) if rows else np.array([], dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum([len(r) for r in rows])])
    return sparse.csr_matrix((matrix.data[positions], matrix.indices[positions], indptr), shape=matrix.shape)


def _best(
    candidates: np.ndarray,
    scores: np.ndarray,
    index: int,
    matrix: sparse.csr_matrix,
    vocabulary: np.ndarray,
    ids: list[str],
    limit: int,
    floor: float,
    analyzer: Analyzer,
) -> tuple[RelatedPaper, ...]:
    """The top `limit` candidates of one paper that reach the floor, with their connecting terms."""
    # Round so that float noise cannot reorder ties; then the lower index (id order) wins.
    rounded = np.round(scores.astype(np.float64), 6)
    order = [i for i in np.lexsort((candidates, -rounded)) if rounded[i] >= floor and candidates[i] != index]
    return tuple(
        RelatedPaper(
            id=ids[candidates[i]],
            score=float(rounded[i]),
            terms=tuple(analyzer.written(t) for t in _shared_terms(matrix, index, int(candidates[i]), vocabulary)),
        )
        for i in order[:limit]
    )


def _shared_terms(matrix: sparse.csr_matrix, a: int, b: int, vocabulary: np.ndarray) -> tuple[str, ...]:
    """The terms that contribute most to the similarity of two papers (phrases over their words)."""
    start_a, stop_a = matrix.indptr[a], matrix.indptr[a + 1]
    start_b, stop_b = matrix.indptr[b], matrix.indptr[b + 1]
    common, in_a, in_b = np.intersect1d(
        matrix.indices[start_a:stop_a], matrix.indices[start_b:stop_b], assume_unique=True, return_indices=True
    )
    if common.size == 0:
        return ()
    weight = matrix.data[start_a:stop_a][in_a] * matrix.data[start_b:stop_b][in_b]
    chosen: list[str] = []
    for i in np.lexsort((common, -weight)):
        term = str(vocabulary[common[i]])
        if any(term in other.split() or other in term.split() for other in chosen):
            continue  # "scaling law" already says "scaling"
        chosen.append(term)
        if len(chosen) == MAX_TERMS:
            break
    return tuple(chosen)
