"""Other weightings for related papers, scored by the judgments and on the sanity pairs.

Usage: python scripts/related_variants.py [--digests DIR] [--judgments FILE]

generator.related weighs terms one way (sublinear TF with the title counted TITLE_REPEAT times,
smoothed IDF, two-word phrases, terms in 2 papers to half of them). This script weighs the same
terms (generator.terms) in other TF-IDF and BM25 ways (other title weights, no phrases, BM25's
TF saturation, weaker or stronger IDF, a lower MAX_DF), ranks every paper's 5 most similar by
cosine, and prints for each weighting:

- nDCG@5 and the share of judged links graded 0 (related_eval.evaluate; no floor), and how
  many of the links nobody judged: the judgments were pooled from the shipped lists, so a
  weighting with many unjudged links is scored low by nDCG partly for that, and its share
  graded 0 counts only the links that were judged;
- where the sanity pairs rank for each other (related_ranks.SANITY_PAIRS).

It is for archives of the samples' size: the similarities are one dense papers x papers array
(2 MB at 535 papers), which the generator never builds. The first line, the shipped weighting,
scores all candidates exactly, so it can differ slightly from the site's lists, which score
the 30 best candidates of each paper's strongest terms (related_eval.py scores those).
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere, like benchmark.py
sys.path.insert(0, str(Path(__file__).resolve().parent))

from related_eval import evaluate, judged_archive
from related_ranks import SANITY_PAIRS, find

from generator.model import Paper
from generator.related import MAX_DF, MAX_RELATED, MIN_DF
from generator.terms import TITLE_REPEAT, Analyzer


@dataclass(frozen=True)
class Weighting:
    label: str
    title: int = TITLE_REPEAT  # how many times a title's terms count
    phrases: bool = True  # two-word phrases as terms
    # (k1, b): BM25's saturated, length-normalised TF instead of sublinear TF; the IDF and the
    # cosine stay TF-IDF's, and a length is all of a paper's term counts (the title's repeated)
    bm25: tuple[float, float] | None = None
    idf_power: float = 1.0
    max_df: float = MAX_DF


WEIGHTINGS = [
    Weighting("shipped"),
    Weighting("title counted once", title=1),
    *(Weighting(f"title counted {n} times", title=n) for n in (2, 4, 6, 10, 30)),
    Weighting("no two-word phrases", phrases=False),
    Weighting("no two-word phrases, title 6 times", phrases=False, title=6),
    *(Weighting(f"BM25 TF k1={k1} b={b}", bm25=(k1, b)) for k1 in (1.2, 2.0) for b in (0.3, 0.75)),
    *(Weighting(f"IDF to the power {p}", idf_power=p) for p in (0.5, 1.5, 2.0)),
    *(Weighting(f"terms in at most {d:.0%} of papers", max_df=d) for d in (0.2, 0.1)),
]


def similarities(titles: list[list[str]], abstracts: list[list[str]], weighting: Weighting) -> np.ndarray:
    """Cosine similarities of every pair of papers under `weighting` (6 places), a paper with itself -1."""
    rows = []
    for title, abstract in zip(titles, abstracts, strict=True):
        counts: Counter[str] = Counter()
        for terms, times in ((title, weighting.title), (abstract, 1)):
            for term in terms:
                if weighting.phrases or " " not in term:
                    counts[term] += times
        rows.append(counts)
    papers = len(rows)
    df = Counter(term for counts in rows for term in counts)
    kept = sorted(term for term, n in df.items() if MIN_DF <= n <= weighting.max_df * papers)
    column = {term: i for i, term in enumerate(kept)}
    idf = np.array([math.log((1 + papers) / (1 + df[term])) + 1 for term in kept]) ** weighting.idf_power
    lengths = np.array([sum(counts.values()) for counts in rows], dtype=np.float64)
    data, row_ids, column_ids = [], [], []
    for row, counts in enumerate(rows):
        for term, n in counts.items():
            if term in column:
                if weighting.bm25:
                    k1, b = weighting.bm25
                    tf = n * (k1 + 1) / (n + k1 * (1 - b + b * lengths[row] / lengths.mean()))
                else:
                    tf = 1 + math.log(n)
                data.append(tf * idf[column[term]])
                row_ids.append(row)
                column_ids.append(column[term])
    matrix = sparse.csr_matrix((data, (row_ids, column_ids)), shape=(papers, len(kept)))
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    matrix = sparse.diags(1 / np.where(norms == 0, 1.0, norms)) @ matrix
    scores: np.ndarray = (matrix @ matrix.T).toarray()
    np.fill_diagonal(scores, -1.0)
    return np.round(scores, 6)  # as related_ranks.py: ties in the sixth place break on id order


def main() -> None:
    archive, judgments, _ = judged_archive(__doc__.splitlines()[0])
    papers: list[Paper] = sorted(archive.papers, key=lambda p: p.id)  # ties: id order, as in find_related
    analyzer = Analyzer()
    titles = [analyzer.terms_of(analyzer.words(p.title)) for p in papers]
    abstracts = [analyzer.terms_of(analyzer.words(p.abstract)) for p in papers]
    pairs = [(find(papers, a), find(papers, b)) for a, b in SANITY_PAIRS]
    print(f"{len(papers)} papers, {len(judgments)} judgments; ranks of the sanity pairs, each way\n")
    for weighting in WEIGHTINGS:
        scores = similarities(titles, abstracts, weighting)
        order = np.argsort(-scores, axis=1, kind="stable")  # ties: id order
        lists = {p.id: [papers[j].id for j in order[i, :MAX_RELATED]] for i, p in enumerate(papers)}
        quality = evaluate(lists, judgments)
        ranks = []
        for a, b in pairs:
            ab, ba = (int(np.flatnonzero(order[x] == y)[0]) + 1 for x, y in ((a, b), (b, a)))
            ranks.append(f"{ab:3d} {ba:3d}")
        print(
            f"{weighting.label:36s} nDCG@5 {quality.ndcg:.3f}, graded 0 {quality.shares[0]:5.1%}, "
            f"unjudged {quality.unjudged:4d}; pairs {' | '.join(ranks)}"
        )


if __name__ == "__main__":
    main()
