"""Related papers: TF-IDF over title and abstract, cosine similarity, top few per paper.

Terms come from terms.py (stemmed words and two-word phrases; title terms count TITLE_REPEAT
times before sublinear scaling). The weights depend on the whole archive (a term's IDF changes
with every paper added), so they are computed afresh on every build; only each paper's own
terms come from the cache. Similarities are computed a block of rows at a time, so memory
stays at (block x papers): no N x N matrix ever exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from generator.model import Paper, RelatedPaper
from generator.terms import PaperTerms, paper_terms, written_forms

MAX_RELATED = 5
# Below this a "related" paper is filler, not a relation: one umbrella term such as "foundation
# models", or a word in two senses. By the relevance judgments of scripts/related_judgments.tsv,
# 51% of sample links between 0.15 and 0.18 are filler, 29% from 0.18 to 0.2, 18% from 0.2 to 0.25
# (python scripts/related_eval.py).
SIMILARITY_FLOOR = 0.18
MAX_TERMS = 3
MIN_DF = 2  # a term in one paper connects nothing
MAX_DF = 0.5  # a term in more than half the papers connects everything
BLOCK_CELLS = 8_000_000  # rows per block x papers: about 32 MB of float32 scores
QUERY_TERMS = 30  # terms per paper used to find candidates
CANDIDATES = 30  # candidates per paper scored exactly
THREADS = 2
WINDOW = 4 * MAX_TERMS  # a pair's strongest terms among which its shown terms are picked at once


@dataclass(frozen=True)
class Similar:
    """A paper similar to another, how similar (the cosine of their TF-IDF vectors, rounded to
    six places), and the terms they share most."""

    id: str
    score: float
    terms: tuple[str, ...]


def related_papers(found: dict[str, tuple[Similar, ...]]) -> dict[str, tuple[RelatedPaper, ...]]:
    """Each paper's related papers as its page shows them (the scores are for ranking only)."""
    return {paper: tuple(RelatedPaper(s.id, s.terms) for s in similar) for paper, similar in found.items()}


def find_related(
    papers: Sequence[Paper],
    terms: dict[str, PaperTerms] | None = None,
    limit: int = MAX_RELATED,
    floor: float = SIMILARITY_FLOOR,
) -> dict[str, tuple[Similar, ...]]:
    """Up to `limit` related papers for each paper, most similar first, none below `floor`;
    `terms` are the papers' terms (terms.paper_terms) by id, where they are known already.

    Candidates come from each paper's QUERY_TERMS strongest terms (common words make the
    full product nearly dense and three times slower); the CANDIDATES best are then scored
    exactly. Ties break on paper id, so the result never depends on input order or on chance.
    """
    ordered = sorted(papers, key=lambda p: p.id)
    empty: dict[str, tuple[Similar, ...]] = {p.id: () for p in ordered}
    if len(ordered) < 2:
        return empty
    counted = [terms[p.id] if terms else paper_terms(p.title, p.abstract) for p in ordered]
    matrix, vocabulary = tfidf(counted)
    if matrix.nnz == 0:  # no term is shared by two papers: nothing is related
        return empty
    ids = [p.id for p in ordered]
    queries = strongest_terms(matrix, QUERY_TERMS)
    transposed = sparse.csr_matrix(matrix.T)
    words = _term_words(vocabulary)
    count = len(ordered)
    width = min(CANDIDATES, count - 1)
    block = max(1, BLOCK_CELLS // count)

    def best_of_block(start: int) -> tuple[list[tuple[int, int, float]], list[list[int]]]:
        stop = min(start + block, count)
        rough = sparse.csr_matrix(queries[start:stop] @ transposed)
        indptr, indices, data = rough.indptr.tolist(), rough.indices, rough.data
        candidates, sizes = [], []
        for row in range(stop - start):
            low, high = indptr[row], indptr[row + 1]
            columns = indices[low:high]
            if high - low > width:  # the best `width` and one more, as the paper itself is likely one
                columns = columns[np.argpartition(-data[low:high], width)[: width + 1]]
            columns = columns[columns != start + row][:width]  # not related to itself
            candidates.append(columns)
            sizes.append(len(columns))
        first, second = np.repeat(np.arange(start, stop), sizes), np.concatenate(candidates)
        products = sparse.csr_matrix(matrix[first].multiply(matrix[second]))  # pair x term
        exact = np.asarray(products.sum(axis=1)).ravel()
        chosen, rounded = _best(first, second, exact, limit, floor)
        found = list(zip(first[chosen].tolist(), second[chosen].tolist(), rounded.tolist(), strict=True))
        return found, connecting_terms(products[chosen], words, vocabulary)

    # Blocks are independent, and NumPy and SciPy release the GIL in their loops: two threads
    # use two cores. Results are joined in block order, so the threads never change them.
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        blocks = list(pool.map(best_of_block, range(0, count, block)))
    # Each term as people write it: each stem as its most frequent word.
    written = written_forms(counted)
    used = {term for _, terms in blocks for shared in terms for term in shared}
    shown = {term: " ".join(written.get(part, part) for part in vocabulary[term].split(" ")) for term in used}
    result: dict[str, list[Similar]] = {paper_id: [] for paper_id in ids}
    for found, shared_terms in blocks:
        for (a, b, score), shared in zip(found, shared_terms, strict=True):
            result[ids[a]].append(Similar(id=ids[b], score=score, terms=tuple(map(shown.__getitem__, shared))))
    return {paper_id: tuple(found) for paper_id, found in result.items()}


def tfidf(papers: Sequence[PaperTerms]) -> tuple[sparse.csr_matrix, list[str]]:
    """Rows of L2-normalised TF-IDF weights (sublinear TF, smoothed IDF) of papers' term counts,
    columns in term order.

    Columns are the terms in at least MIN_DF papers and at most MAX_DF of them, sorted as
    strings: the matrix depends only on the papers, not on the order terms were first seen.
    """
    count = len(papers)
    joined = "\n".join(p.terms for p in papers if p.terms)  # a paper may have no terms
    names = joined.split("\n") if joined else []
    words = list(dict.fromkeys(names))  # every term, in order of first sight
    ids = {term: index for index, term in enumerate(words)}
    term_ids = np.fromiter(map(ids.__getitem__, names), dtype=np.int64, count=len(names))
    term_counts = np.frombuffer(b"".join(p.counts for p in papers), dtype=np.int32).astype(np.float64)
    lengths = [len(p.counts) // 4 for p in papers]
    df = np.bincount(term_ids, minlength=len(words))
    kept = np.flatnonzero((df >= MIN_DF) & (df <= MAX_DF * count))
    kept = np.array(sorted(kept.tolist(), key=words.__getitem__), dtype=np.int64)
    column = np.full(len(words), -1, dtype=np.int64)
    column[kept] = np.arange(len(kept))
    columns = column[term_ids]
    used = columns >= 0
    idf = np.log((1 + count) / (1 + df[kept])) + 1
    weights = (1 + np.log(term_counts[used])) * idf[columns[used]]
    # Rows straight from the papers' order: each paper's used terms, in the order it has them.
    row = np.repeat(np.arange(count), lengths)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(row[used], minlength=count))])
    matrix = sparse.csr_matrix((weights, columns[used], indptr), shape=(count, len(kept)))
    matrix.sort_indices()
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    matrix = sparse.csr_matrix(sparse.diags(1 / norms) @ matrix, dtype=np.float32)
    matrix.sort_indices()
    return matrix, [words[i] for i in kept]


def strongest_terms(matrix: sparse.csr_matrix, keep: int) -> sparse.csr_matrix:
    """Each row with only its `keep` largest weights.

    Rows of the same length are partitioned together, as one 2-D array: the same selection as
    row by row (ties included), in a few hundred NumPy calls instead of one per row.
    """
    lengths = np.diff(matrix.indptr)
    starts = matrix.indptr[:-1]
    kept = np.minimum(lengths, keep)
    indptr = np.concatenate([[0], np.cumsum(kept)])
    positions = np.repeat(starts - indptr[:-1], kept) + np.arange(indptr[-1])  # rows of at most `keep`: all
    for length in np.unique(lengths[lengths > keep]).tolist():
        rows = np.flatnonzero(lengths == length)
        spots = starts[rows, None] + np.arange(length)
        best = np.argpartition(-matrix.data[spots], keep - 1, axis=1)[:, :keep]
        positions[indptr[rows, None] + np.arange(keep)] = np.sort(np.take_along_axis(spots, best, axis=1), axis=1)
    return sparse.csr_matrix((matrix.data[positions], matrix.indices[positions], indptr), shape=matrix.shape)


def _best(
    papers: np.ndarray, candidates: np.ndarray, scores: np.ndarray, limit: int, floor: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each paper's top `limit` candidates that reach the floor, from (paper, candidate, score) rows.

    Returns the chosen rows' positions, by paper then rank, and their rounded scores.
    """
    # Round so that float noise cannot reorder ties; then the lower index (id order) wins.
    rounded = np.round(scores.astype(np.float64), 6)
    order = np.lexsort((candidates, -rounded, papers))
    order = order[rounded[order] >= floor]
    if not len(order):
        return order, rounded[order]
    ranked = papers[order]
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    order = order[rank < limit]
    return order, rounded[order]


def connecting_terms(products: sparse.csr_matrix, words: np.ndarray, vocabulary: list[str]) -> list[list[int]]:
    """For each pair of papers (rows of `products`, their rows of weights multiplied), the terms
    (columns) that contribute most to their similarity.

    Strongest first (ties by term order), at most MAX_TERMS, and a phrase's words are not
    listed beside it ("scaling law" already says "scaling"): a greedy pick, done for all pairs
    at once over each pair's WINDOW strongest terms, and one pair at a time for the rare pair
    that needs more. `words` is _term_words(vocabulary).
    """
    count = products.shape[0]
    if not count:
        return []
    products = sparse.csr_matrix(products)
    products.eliminate_zeros()
    products.sort_indices()
    lengths = np.diff(products.indptr)
    # One stable sort for all pairs: by pair, then strongest first; ties keep the term order.
    columns = products.indices[np.lexsort((-products.data, np.repeat(np.arange(count), lengths)))]
    head = np.minimum(lengths, WINDOW)
    rows = np.repeat(np.arange(count), head)
    slots = np.arange(head.sum()) - np.repeat(np.cumsum(head) - head, head)
    window = np.full((count, WINDOW), -1, dtype=np.int64)
    window[rows, slots] = columns[np.repeat(products.indptr[:-1], head) + slots]
    words = words[np.maximum(window, 0)]  # (pairs, WINDOW, 2): word ids, -1 if none
    valid = window >= 0
    single = words[:, :, 1] < 0
    first, second = words[:, :, None, 0], words[:, None, :, :]
    # conflict[p, i, j]: term i is a word of phrase j, or the other way round.
    inside = single[:, :, None] & ~single[:, None, :] & ((first == second[..., 0]) | (first == second[..., 1]))
    conflict = inside | inside.transpose(0, 2, 1)
    chosen = np.zeros((count, WINDOW), dtype=bool)
    picked = np.zeros(count, dtype=np.int64)
    for slot in range(WINDOW):
        ok = valid[:, slot] & (picked < MAX_TERMS) & ~(conflict[:, slot, :slot] & chosen[:, :slot]).any(axis=1)
        chosen[:, slot] = ok
        picked += ok
    out: list[list[int]] = [[] for _ in range(count)]
    picked_rows, picked_slots = np.nonzero(chosen)
    for row, column in zip(picked_rows.tolist(), window[picked_rows, picked_slots].tolist(), strict=True):
        out[row].append(column)
    for rest in np.flatnonzero((picked < MAX_TERMS) & (lengths > WINDOW)).tolist():
        start, stop = products.indptr[rest], products.indptr[rest + 1]
        out[rest] = _pick(columns[start:stop].tolist(), vocabulary)
    return out


def _term_words(vocabulary: list[str]) -> np.ndarray:
    """Each term's one or two words as ids (the second -1 for a single word)."""
    ids: dict[str, int] = {}
    words = np.full((max(len(vocabulary), 1), 2), -1, dtype=np.int64)
    for index, term in enumerate(vocabulary):
        for position, word in enumerate(term.split(" ")):
            words[index, position] = ids.setdefault(word, len(ids))
    return words


def _pick(columns: list[int], vocabulary: list[str]) -> list[int]:
    """The first MAX_TERMS terms, skipping one whose word is in a phrase already picked or the reverse."""
    chosen: list[int] = []
    for column in columns:
        term = vocabulary[column]
        if any(term in vocabulary[other].split() or vocabulary[other] in term.split() for other in chosen):
            continue
        chosen.append(column)
        if len(chosen) == MAX_TERMS:
            break
    return chosen
