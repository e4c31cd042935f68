"""Benchmark the generator and MkDocs on synthetic archives of N papers.

Usage: python scripts/benchmark.py [--sizes 2000,20000] [--no-mkdocs] [--no-incremental] [--repeat N] [--keep DIR]

For each size it writes an archive of dated text digests (about 50 papers each, like Hugging
Face Daily Papers) whose titles and abstracts are recombined from the sample digests'
vocabulary, then runs the generator in this process, from scratch (empty docs folder, empty
cache), timing each stage (parse, tags, related, render, write, cache) with the peak memory
(max RSS) seen so far. Then, unless --no-incremental, it adds one digest of 50 new papers and
runs the generator again with the cache: the incremental rebuild, with how many files it
rewrote. With --repeat N, both are done N times (each time from scratch: no site, no cache,
no URL registry, without the added digest) and the tables show the run with the median total,
after every run's total: this machine's speed drifts by 10-20% within minutes. Last,
`mkdocs build` in a child process. It prints Markdown tables for BENCHMARKS.md.
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

from generator.parse import find_digest_files, read_digest_file  # noqa: E402
from generator.pipeline import build  # noqa: E402
from generator.urls import REGISTRY_NAME  # noqa: E402

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


def synthetic_papers(count: int, seed: int, avoid: set[str] | None = None) -> list[tuple[str, str]]:
    """`count` distinct (title, abstract) pairs, none with a title in `avoid` (normalised)."""
    rng = random.Random(seed)
    titles, sentences = sample_text()
    chain = TitleChain(titles)
    made: list[tuple[str, str]] = []
    seen: set[str] = set(avoid or ())
    while len(made) < count:
        title = chain.title(rng)
        key = " ".join(title.casefold().split())
        if key in seen:
            continue
        seen.add(key)
        made.append((title, " ".join(rng.sample(sentences, rng.randint(5, 9)))))
    return made


def write_digest(folder: Path, day: dt.date, entries: list[tuple[str, str]]) -> None:
    """One digest file as Hugging Face's page reads, named by its date."""
    names = set()
    lines = ["new", "", "Subscribe", "", f"{day:%b} {day.day}", ""]
    for title, abstract in entries:
        if title in names:
            continue  # the same paper twice in one digest is a warning, not what we measure
        names.add(title)
        lines += [title, "", abstract, ""]
    (folder / f"{day.isoformat()}.txt").write_text("\n".join(lines), encoding="utf-8")


def synthesise(folder: Path, papers: int) -> tuple[int, dt.date, set[str]]:
    """Write dated digests holding `papers` distinct papers; return their count, the next day, the titles."""
    rng = random.Random(SEED)
    made = synthetic_papers(papers, SEED)
    entries: list[tuple[str, str]] = []
    for index, paper in enumerate(made):
        entries.append(paper)
        if index > PAPERS_PER_DIGEST and rng.random() < REPEAT_SHARE:
            entries.append(made[rng.randrange(index)])  # an earlier paper shows up again
    day = dt.date(2023, 1, 2)
    digests = 0
    for start in range(0, len(entries), PAPERS_PER_DIGEST):
        write_digest(folder, day, entries[start : start + PAPERS_PER_DIGEST])
        day += dt.timedelta(days=1)
        digests += 1
    return digests, day, {" ".join(title.casefold().split()) for title, _ in made}


def peak_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_build(work: Path, label: str) -> tuple[list[tuple[str, float, float]], int, int]:
    """Run the generator with the cache; (stage, seconds, peak MB) rows, files written, papers."""
    rows: list[tuple[str, float, float]] = []
    gc.collect()
    # Start from a quiet disk: without this the rebuild would pay for writing back the previous
    # build's files (600 MB at 20,000 papers), which a daily rebuild never meets.
    os.sync()
    started = mark = time.perf_counter()

    def stage(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        rows.append((name, now - mark, peak_mb()))
        mark = now

    result = build(
        work / "digests",
        work / "site_src",
        REPO / "taxonomy.yaml",
        config_path=work / "mkdocs.yml",
        cache_dir=work / ".cache",
        on_stage=stage,
    )
    rows.append((f"generator, {label}", time.perf_counter() - started, peak_mb()))
    return rows, len(result.report.written), len(result.archive.papers)


def run(
    size: int, work: Path, mkdocs: bool, incremental: bool, repeat: int = 1
) -> dict[str, list[tuple[str, float, float]]]:
    """Generate (and build) one synthetic archive; rows of (stage, seconds, peak MB) per run."""
    digests = work / "digests"
    digests.mkdir(parents=True)
    count, next_day, titles = synthesise(digests, size)
    added = digests / f"{next_day.isoformat()}.txt"
    tries: dict[str, list[list[tuple[str, float, float]]]] = defaultdict(list)
    for _ in range(repeat):
        for old in (work / "site_src", work / ".cache", work / "overrides"):
            shutil.rmtree(old, ignore_errors=True)
        for old in (added, digests / REGISTRY_NAME):
            old.unlink(missing_ok=True)
        copy_site_setup(work)
        rows, written, papers = timed_build(work, "all stages")
        assert papers == size, (papers, size)
        tries["full"].append([(f"{count} digests, {written} files written", 0.0, 0.0), *rows])
        if incremental:
            write_digest(digests, next_day, synthetic_papers(PAPERS_PER_DIGEST, SEED + 1, titles))
            rows, written, papers = timed_build(work, "all stages")
            assert papers == size + PAPERS_PER_DIGEST, (papers, size)
            tries["incremental"].append([(f"1 new digest, {written} files written", 0.0, 0.0), *rows])
    runs = {}
    for name, found in tries.items():
        totals = [rows[-1][1] for rows in found]
        if repeat > 1:
            print(f"{size:,} papers, {name}: totals {', '.join(f'{t:.2f}' for t in totals)} s", flush=True)
        runs[name] = sorted(found, key=lambda rows: rows[-1][1])[(len(found) - 1) // 2]
    if mkdocs:
        env = command_env()
        began = time.perf_counter()
        subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q"], cwd=work, env=env, check=True)
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        runs["mkdocs"] = [("mkdocs build --strict", time.perf_counter() - began, child)]
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000", help="comma-separated numbers of papers")
    parser.add_argument("--no-mkdocs", action="store_true", help="skip the MkDocs build")
    parser.add_argument("--no-incremental", action="store_true", help="skip the rebuild after one new digest")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each build; the median run is shown")
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
            results[size] = run(size, folder, not args.no_mkdocs, not args.no_incremental, args.repeat)
        finally:
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    for name in results[sizes[0]]:
        print()
        print(f"{name}:")
        print()
        print("| stage | " + " | ".join(f"{s:,} papers: s | peak MB" for s in sizes) + " |")
        print("|---|" + "---:|---:|" * len(sizes))
        for index, (label, _, _) in enumerate(results[sizes[0]][name]):
            if index == 0 and name != "mkdocs":
                print("| | " + " | ".join(results[s][name][0][0] + " | " for s in sizes) + "|")
                continue
            cells = " | ".join(f"{results[s][name][index][1]:.2f} | {results[s][name][index][2]:.0f}" for s in sizes)
            print(f"| {label} | {cells} |")
    total = {s: {n: r[-1][1] for n, r in results[s].items()} for s in sizes}
    print()
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        ratio = total[large]["full"] / total[small]["full"]
        print(f"full generation time ratio {large:,}/{small:,} papers: {ratio:.1f}x")
    for size in sizes:
        if "incremental" in total[size]:
            share = total[size]["incremental"] / total[size]["full"]
            print(f"{size:,} papers: incremental rebuild after one digest = {share:.0%} of the full generation")


if __name__ == "__main__":
    main()
