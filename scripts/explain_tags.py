"""Why a paper has the tags it has: each tag's score and the rules of taxonomy.yaml that matched.

Usage: python scripts/explain_tags.py "TITLE" [--tag NAME ...] [--digests DIR] [--taxonomy FILE]

A title may be given by its beginning. For each tag the paper shows, and for each tag named
with --tag (shown or not), it prints the score (title match worth title_weight, each abstract
mention abstract_weight, up to max_abstract_hits), the threshold, and every rule that matched
with its mentions in the title (T) and abstract (A). Use it when a tag looks wrong: the rule
it names is the one to narrow with `exclude` or to move to `title_words` (README, "Topics").
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere, like benchmark.py

from generator.pipeline import load_archive
from generator.tags import Matcher, assign_tags, explain
from generator.taxonomy import load_taxonomy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("title", help="the paper's title, or its beginning")
    parser.add_argument("--tag", action="append", default=[], metavar="NAME", help="also explain this tag")
    parser.add_argument("--digests", type=Path, default=Path("digests"), help="the digests folder")
    parser.add_argument("--taxonomy", type=Path, default=Path("taxonomy.yaml"), help="the taxonomy file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR, format="%(message)s")
    taxonomy = load_taxonomy(args.taxonomy)
    archive, _ = load_archive(args.digests, args.digests / "urls.tsv")
    found = [p for p in archive.papers if p.title.startswith(args.title)]
    if len(found) != 1:
        sys.exit(f"{len(found)} papers have a title starting with {args.title!r}")
    paper = found[0]
    shown = assign_tags(archive.papers, taxonomy)[paper.id]
    by_name = {tag.name.casefold(): tag for tag in taxonomy.tags}
    unknown = [name for name in args.tag if name.casefold() not in by_name]
    if unknown:
        sys.exit(f"no tag named {unknown[0]!r} in {args.taxonomy}")
    names = list(dict.fromkeys([*shown, *(by_name[name.casefold()].name for name in args.tag)]))
    evidence = Matcher(taxonomy).score(paper.title, paper.abstract, paper.details.ai_keywords)
    scores = {tag.name: score for tag, score in zip(taxonomy.tags, evidence, strict=True)}
    settings = taxonomy.settings
    print(paper.title)
    print(f"tags shown: {', '.join(shown) or '(none)'}")
    for name in names:
        tag = by_name[name.casefold()]
        status = (
            "shown" if name in shown else "passes, not shown" if tag.passes(scores[name], settings) else "not reached"
        )
        if name in paper.details.tags:
            status += "; given by the digest"
        print(f"\n{name}: score {scores[name]}, threshold {tag.minimum(settings)} ({status})")
        for label, in_title, in_abstract in explain(tag, paper.title, paper.abstract):
            print(f"  {label}  [T{in_title} A{in_abstract}]")


if __name__ == "__main__":
    main()
