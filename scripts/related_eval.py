"""How good the related-paper lists are, by the grades of relevance judges.

Usage: python scripts/related_eval.py [--digests DIR] [--judgments FILE]

scripts/related_judgments.tsv holds 4,626 graded pairs for the sample digests (2 clearly
related, 1 somewhat, 0 filler; how they were made is in its header). This script builds the
related lists with generator.related, as the site does, and reports:

- at the shipped floor: links shown, papers with none, and the share of links graded 0, 1, 2;
- without a floor (the 5 most similar for every paper): the same shares, and nDCG@5, the usual
  measure of a ranking (1.0 when each list holds the paper's best judged candidates in order);
- the share graded 0 by band of similarity, to see where a floor belongs.

A link nobody judged counts in "unjudged" and nowhere else; nDCG skips it (a "condensed"
list). After changing how papers are related, a large unjudged share means the numbers no
longer say much: judge the new links first.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere, like benchmark.py

from generator.model import Archive
from generator.pipeline import load_archive
from generator.related import MAX_RELATED, SIMILARITY_FLOOR, find_related

JUDGMENTS = Path(__file__).resolve().parent / "related_judgments.tsv"
GRADES = (0, 1, 2)
BANDS = (0.0, 0.1, 0.15, 0.18, 0.2, 0.25, 0.3, 1.01)

Judgments = dict[tuple[str, str], int]


@dataclass(frozen=True)
class Quality:
    links: int
    empty: int  # papers that list nothing
    unjudged: int
    shares: tuple[float, float, float]  # of judged links graded 0, 1, 2
    ndcg: float  # mean over papers with a judged relevant candidate

    def line(self) -> str:
        zero, one, two = (f"{share:.1%}" for share in self.shares)
        return (
            f"{self.links:5d} links, {self.empty:3d} papers with none, {self.unjudged} unjudged; "
            f"graded 0: {zero}, 1: {one}, 2: {two}; nDCG@5 {self.ndcg:.3f}"
        )


def read_judgments(path: Path) -> Judgments:
    """(paper id, candidate id) -> grade, from tab-separated lines; '#' starts a comment line."""
    judgments: Judgments = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 3 or fields[2] not in {str(g) for g in GRADES}:
            raise SystemExit(f"{path}:{number}: expected 'paper<TAB>candidate<TAB>grade 0, 1 or 2'")
        pair = (fields[0], fields[1])
        if pair in judgments:
            raise SystemExit(f"{path}:{number}: {fields[0]} -> {fields[1]} is graded twice")
        judgments[pair] = int(fields[2])
    return judgments


def dcg(grades: Sequence[int]) -> float:
    return sum((2**grade - 1) / math.log2(rank + 2) for rank, grade in enumerate(grades))


def evaluate(lists: Mapping[str, Sequence[str]], judgments: Judgments, depth: int = MAX_RELATED) -> Quality:
    """The quality of `lists` (paper id -> related ids, best first) by `judgments`."""
    pool: dict[str, list[int]] = {}
    for (paper, _), grade in judgments.items():
        pool.setdefault(paper, []).append(grade)
    counts = [0, 0, 0]
    unjudged = 0
    gains = []
    for paper, related in lists.items():
        graded = [judgments.get((paper, other)) for other in related[:depth]]
        unjudged += graded.count(None)
        known = [grade for grade in graded if grade is not None]
        for grade in known:
            counts[grade] += 1
        ideal = dcg(sorted(pool.get(paper, []), reverse=True)[:depth])
        if ideal:
            gains.append(dcg(known) / ideal)
    judged = sum(counts) or 1
    return Quality(
        links=sum(min(len(r), depth) for r in lists.values()),
        empty=sum(1 for r in lists.values() if not r),
        unjudged=unjudged,
        shares=(counts[0] / judged, counts[1] / judged, counts[2] / judged),
        ndcg=sum(gains) / len(gains) if gains else 0.0,
    )


def judged_archive(description: str) -> tuple[Archive, Judgments, Path]:
    """The archive of --digests and the judgments of --judgments, for a script's main."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--digests", type=Path, default=Path("digests"), help="the digests folder")
    parser.add_argument("--judgments", type=Path, default=JUDGMENTS, help="graded pairs (paper, candidate, grade)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR, format="%(message)s")
    judgments = read_judgments(args.judgments)
    archive, _ = load_archive(args.digests, args.digests / "urls.tsv")
    return archive, judgments, args.digests


def main() -> None:
    archive, judgments, digests = judged_archive(__doc__.splitlines()[0])
    unknown = {paper for pair in judgments for paper in pair} - {p.id for p in archive.papers}
    if unknown:
        print(f"note: {len(unknown)} judged papers are not in {digests}, e.g. {min(unknown)}")
    print(f"{len(archive.papers)} papers, {len(judgments)} judgments")
    shipped, unfloored = find_related(archive.papers), find_related(archive.papers, floor=0.0)
    for label, related in ((f"floor {SIMILARITY_FLOOR}", shipped), ("no floor", unfloored)):
        lists = {paper: [r.id for r in found] for paper, found in related.items()}
        print(f"{label:>10}: {evaluate(lists, judgments).line()}")
    print("\nwithout a floor, by similarity:")
    graded = [(r.score, judgments.get((paper, r.id))) for paper, found in unfloored.items() for r in found]
    for low, high in itertools.pairwise(BANDS):
        band = [grade for score, grade in graded if low <= score < high and grade is not None]
        if band:
            print(f"  {low:.2f} to {high:.2f}: {len(band):4d} judged links, {band.count(0) / len(band):4.0%} graded 0")


if __name__ == "__main__":
    main()
