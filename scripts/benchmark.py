"""Benchmark the generator and MkDocs on synthetic archives of N papers.

Usage: python scripts/benchmark.py [--sizes 2000,20000] [--no-mkdocs] [--keep DIR]

For each size it writes an archive of dated text digests (about 50 papers each, like Hugging
Face Daily Papers) whose titles and abstracts are recombined from the sample digests'
vocabulary, then times each stage in this process (parse, tags, related, render, write) with
the peak memory (max RSS) seen so far, then `mkdocs build` in a child process. It prints a
Markdown table to paste into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import itertools
import logging
import os
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sandbox import command_env, copy_site_setup  # noqa: E402

from generator.archive import with_topics  # noqa: E402
from generator.parse import find_digest_files, read_digest_file  # noqa: E402
from generator.pipeline import load_archive  # noqa: E402
from generator.related import find_related  # noqa: E402
from generator.render import render_site  # noqa: E402
from generator.tags import assign_tags, load_taxonomy  # noqa: E402
from generator.write import write_site  # noqa: E402

PAPERS_PER_DIGEST = 50
REPEAT_SHARE = 0.09  # the samples: 594 entries for 535 papers
SEED = 20250311


def sample_text() -> tuple[list[str], list[str]]:
    """Titles and abstract sentences of the sample digests."""
    titles, sentences = [], []
    for name, path in find_digest_files(REPO / "digests"):
        for entry in read_digest_file(path, name).entries:
            titles.append(entry.title)
            sentences += [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", entry.abstract) if len(s) > 30]
    return titles, sentences


class TitleChain:
    """A word-bigram chain over the sample titles, so synthetic titles read like titles."""

    def __init__(self, titles: list[str]) -> None:
        self.next: dict[str, list[str]] = defaultdict(list)
        for title in titles:
            words = ["<s>", *title.split(), "</s>"]
            for a, b in itertools.pairwise(words):
                self.next[a].append(b)

    def title(self, rng: random.Random) -> str:
        words: list[str] = []
        word = "<s>"
        while len(words) < 18:
            word = rng.choice(self.next[word])
            if word == "</s>":
                if len(words) >= 4:
                    break
                word = rng.choice(self.next["<s>"])
                continue
            words.append(word)
        return " ".join(words)


def synthesise(folder: Path, papers: int) -> int:
    """Write dated digests holding `papers` distinct papers; return the number of digests."""
    rng = random.Random(SEED)
    titles, sentences = sample_text()
    chain = TitleChain(titles)
    made: list[tuple[str, str]] = []
    seen: set[str] = set()
    while len(made) < papers:
        title = chain.title(rng)
        key = " ".join(title.casefold().split())
        if key in seen:
            continue
        seen.add(key)
        made.append((title, " ".join(rng.sample(sentences, rng.randint(5, 9)))))
    entries: list[tuple[str, str]] = []
    for index, paper in enumerate(made):
        entries.append(paper)
        if index > PAPERS_PER_DIGEST and rng.random() < REPEAT_SHARE:
            entries.append(made[rng.randrange(index)])  # an earlier paper shows up again
    day = dt.date(2023, 1, 2)
    digests = 0
    for start in range(0, len(entries), PAPERS_PER_DIGEST):
        chunk = entries[start : start + PAPERS_PER_DIGEST]
        names = set()
        lines = ["new", "", "Subscribe", "", f"{day:%b} {day.day}", ""]
        for title, abstract in chunk:
            if title in names:
                continue  # the same paper twice in one digest is a warning, not what we measure
            names.add(title)
            lines += [title, "", abstract, ""]
        (folder / f"{day.isoformat()}.txt").write_text("\n".join(lines), encoding="utf-8")
        day += dt.timedelta(days=1)
        digests += 1
    return digests


def peak_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(size: int, work: Path, mkdocs: bool) -> list[tuple[str, float, float]]:
    """Generate and build one synthetic archive; return (stage, seconds, peak MB) rows."""
    digests = work / "digests"
    digests.mkdir(parents=True)
    count = synthesise(digests, size)
    copy_site_setup(work)
    rows = []
    gc.collect()
    started = time.perf_counter()

    def stage(name: str, began: float) -> float:
        now = time.perf_counter()
        rows.append((name, now - began, peak_mb()))
        return now

    mark = time.perf_counter()
    archive, _ = load_archive(digests)
    mark = stage(f"parse ({count} digests)", mark)
    taxonomy = load_taxonomy(REPO / "taxonomy.yaml")
    tags = assign_tags(archive.papers, taxonomy)
    mark = stage("tags", mark)
    related = find_related(archive.papers)
    mark = stage("related", mark)
    archive = with_topics(archive, taxonomy.topics(), tags, related)
    pages = render_site(archive)
    mark = stage(f"render ({len(pages)} files)", mark)
    write_site(pages, work / "site_src")
    mark = stage("write", mark)
    rows.append(("generator, all stages", mark - started, peak_mb()))
    assert len(archive.papers) == size, (len(archive.papers), size)
    if mkdocs:
        env = command_env()
        began = time.perf_counter()
        subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q"], cwd=work, env=env, check=True)
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        rows.append(("mkdocs build --strict", time.perf_counter() - began, child))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000", help="comma-separated numbers of papers")
    parser.add_argument("--no-mkdocs", action="store_true", help="skip the MkDocs build")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the synthetic digests' undated warnings are not the point
    sizes = sorted(int(s) for s in args.sizes.split(","))
    results = {}
    for size in sizes:
        # Each size in a fresh process would be cleaner for memory; peak RSS here only grows, so
        # sizes run smallest first and the largest size's figures are its own.
        folder = args.keep / str(size) if args.keep else Path(tempfile.mkdtemp(prefix=f"bench{size}-"))
        try:
            results[size] = run(size, folder, not args.no_mkdocs)
        finally:
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print()
    header = "| stage | " + " | ".join(f"{s:,} papers: s | peak MB" for s in sizes) + " |"
    print(header)
    print("|---|" + "---:|---:|" * len(sizes))
    for index, (name, _, _) in enumerate(results[sizes[0]]):
        label = re.sub(r" \(.*\)", "", name)
        cells = " | ".join(f"{results[s][index][1]:.2f} | {results[s][index][2]:.0f}" for s in sizes)
        print(f"| {label} | {cells} |")
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        total = {s: next(r[1] for r in results[s] if r[0].startswith("generator")) for s in sizes}
        print()
        print(f"generator time ratio {large:,}/{small:,} papers: {total[large] / total[small]:.1f}x")


if __name__ == "__main__":
    main()
