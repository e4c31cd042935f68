"""Where papers rank in each other's related lists, and what ranks above them.

Usage: python scripts/related_ranks.py [--digests DIR] [--top N] [--pair "TITLE A" "TITLE B" ...]

Without --pair it checks the two sanity pairs the README names, on the sample digests. For each
pair it prints the rank of B among all papers by similarity to A (the related list shows the
first 5 at or above the floor) and the other way round, then the N most similar papers to each
with their scores and strongest shared terms: the same TF-IDF weights and cosine similarity as
generator.related, computed exactly for the papers named (one row of similarities each, never
an N x N matrix), and whether the site's related list (find_related) shows B. A title may be
given by its beginning.

Beside each paper it prints the judges' grade for the link (scripts/related_judgments.tsv:
2 clearly related, 1 somewhat, 0 filler, "-" not judged), and for the paper heading each block
how many candidates the judges grade 2: a list of 5 cannot hold them all when there are more.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere, like benchmark.py

from generator.model import Paper
from generator.pipeline import load_archive
from generator.related import MAX_RELATED, SIMILARITY_FLOOR, find_related, tfidf
from generator.terms import paper_terms

sys.path.insert(0, str(Path(__file__).resolve().parent))
from related_eval import JUDGMENTS, read_judgments

SANITY_PAIRS = [
    (
        "Aligning Language Models with Preferences through f-divergence Minimization",
        "Beyond Reverse KL: Generalizing Direct Preference Optimization with Diverse Divergence Constraints",
    ),
    (
        "Unlock Predictable Scaling from Emergent Abilities",
        "Why Has Predicting Downstream Capabilities of Frontier AI Models with Scale Remained Elusive?",
    ),
]


def find(papers: list[Paper], title: str) -> int:
    """The position of the one paper whose title starts with `title`."""
    found = [i for i, p in enumerate(papers) if p.title.startswith(title)]
    if len(found) != 1:
        sys.exit(f"{len(found)} papers have a title starting with {title!r}")
    return found[0]


def grade(grades: dict[str, int], other: str) -> str:
    """The judges' grade of a link as shown: 2, 1, 0, or "-" when nobody judged it."""
    return str(grades[other]) if other in grades else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digests", type=Path, default=Path("digests"), help="the digests folder")
    parser.add_argument("--top", type=int, default=8, help="most similar papers shown for each")
    parser.add_argument("--pair", nargs=2, action="append", metavar="TITLE", help="two titles (repeatable)")
    parser.add_argument("--judgments", type=Path, default=JUDGMENTS, help="graded pairs (paper, candidate, grade)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR, format="%(message)s")
    if not args.judgments.is_file():
        sys.exit(f"{args.judgments}: no such file")
    judgments = read_judgments(args.judgments)
    archive, _ = load_archive(args.digests, args.digests / "urls.tsv")
    papers = sorted(archive.papers, key=lambda p: p.id)  # the order find_related uses
    matrix, vocabulary = tfidf([paper_terms(p.title, p.abstract) for p in papers])
    transposed = matrix.T.tocsr()
    related = find_related(papers)  # the lists the site shows

    def similarities(i: int) -> np.ndarray:
        row = np.asarray((matrix[i] @ transposed).todense()).ravel().astype(np.float64)
        row[i] = -1.0  # never related to itself
        return np.round(row, 6)

    def shared(i: int, j: int) -> str:
        weights = matrix[i].multiply(matrix[j]).tocsr()
        strongest = np.argsort(-weights.data, kind="stable")[:4]
        return ", ".join(vocabulary[weights.indices[k]] for k in strongest)

    print(f"{len(papers)} papers; lists show the first {MAX_RELATED} at or above {SIMILARITY_FLOOR}\n")
    for title_a, title_b in args.pair or SANITY_PAIRS:
        a, b = find(papers, title_a), find(papers, title_b)
        for x, y in ((a, b), (b, a)):
            row = similarities(x)
            order = np.lexsort((np.arange(len(row)), -row))  # ties: id order, as in find_related
            rank = int(np.flatnonzero(order == y)[0]) + 1
            listed = papers[y].id in {r.id for r in related[papers[x].id]}
            print(f"{papers[x].title}\n  -> {papers[y].title}: rank {rank}, score {row[y]:.3f}", end="")
            print(" (in its related list)" if listed else " (not in its related list)")
            grades = {other: grade for (paper, other), grade in judgments.items() if paper == papers[x].id}
            if grades:
                two, one, zero = (list(grades.values()).count(g) for g in (2, 1, 0))
                pair = grade(grades, papers[y].id)
                print(f"  judges: this link {pair}; of {len(grades)} candidates judged for this paper,", end="")
                print(f" {two} graded 2 (clearly related), {one} graded 1, {zero} graded 0")
            for place, k in enumerate(order[: args.top], start=1):
                shown = f"{row[k]:.3f}  {grade(grades, papers[k].id)}  {papers[k].title[:80]}"
                print(f"  {place:3d}. {shown}  [{shared(x, int(k))}]")
            print()


if __name__ == "__main__":
    main()
