"""Benchmark the generator and MkDocs on synthetic archives of N papers, side by side with another version.

Usage:
    python scripts/benchmark.py [--sizes 2000,20000] [--repeat N] [--mkdocs]
                                [--baseline DIR [--baseline-python PYTHON]] [--keep DIR]

For each size it writes an archive of dated text digests (about 50 papers each, like Hugging
Face Daily Papers) whose titles and abstracts are recombined from the sample digests'
vocabulary. Then, for this checkout and (with --baseline) another checkout of the project
(`git worktree add ../base 84c1a05`), taking turns, each in a fresh copy of its own site
setup: `python -m generator build` from scratch (no pages, no cache), then again after one
more digest of 50 new papers (the rebuild). With --mkdocs, last, `mkdocs build --strict` on
the pages of the rebuild, and the whole of `make site` from scratch: the generator and MkDocs
for a version whose MkDocs does not run the generator, `mkdocs build` alone for one whose
plugin does. Every command runs in a child process, timed by the wall clock, with its peak
memory (max RSS); with --repeat N each is run N times and the median is shown. A baseline
that needs other packages runs with --baseline-python (a virtual environment made for it).
It prints Markdown tables for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from generator.parse import find_digest_files, read_digest_file  # noqa: E402
from generator.render import GENERATED_ROOTS  # noqa: E402

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


def synthesise(folder: Path, papers: int) -> Path:
    """Write dated digests holding `papers` distinct papers into `folder`/digests, and the one
    more digest of a rebuild into `folder`/next; return the latter's file."""
    digests, extra = folder / "digests", folder / "next"
    digests.mkdir(parents=True)
    extra.mkdir()
    rng = random.Random(SEED)
    made = synthetic_papers(papers, SEED)
    entries: list[tuple[str, str]] = []
    for index, paper in enumerate(made):
        entries.append(paper)
        if index > PAPERS_PER_DIGEST and rng.random() < REPEAT_SHARE:
            entries.append(made[rng.randrange(index)])  # an earlier paper shows up again
    day = dt.date(2023, 1, 2)
    for start in range(0, len(entries), PAPERS_PER_DIGEST):
        write_digest(digests, day, entries[start : start + PAPERS_PER_DIGEST])
        day += dt.timedelta(days=1)
    titles = {" ".join(title.casefold().split()) for title, _ in made}
    write_digest(extra, day, synthetic_papers(PAPERS_PER_DIGEST, SEED + 1, titles))
    return extra / f"{day.isoformat()}.txt"


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Run a command to its end; its wall-clock seconds and peak memory (MB)."""
    os.sync()  # each run starts from a quiet disk, not paying for the last one's writes
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        error = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
        raise SystemExit(f"{' '.join(command)} failed in {cwd}:\n{error}")
    return seconds, usage.ru_maxrss / 1024


def copy_setup(checkout: Path, work: Path) -> None:
    """A checkout's site setup (configuration, theme overrides, hand-written pages) in `work`,
    without what a local build generated into its docs folder."""
    shutil.copy(checkout / "mkdocs.yml", work / "mkdocs.yml")
    shutil.copy(checkout / "taxonomy.yaml", work / "taxonomy.yaml")
    shutil.copytree(checkout / "overrides", work / "overrides", dirs_exist_ok=True)
    shutil.copytree(
        checkout / "site_src",
        work / "site_src",
        dirs_exist_ok=True,
        ignore=lambda folder, names: [
            n for n in names if Path(folder) == checkout / "site_src" and (n in GENERATED_ROOTS or n.startswith("."))
        ],
    )


def runs_generator(checkout: Path) -> bool:
    """Whether a checkout's mkdocs.yml names the generator's plugin (its MkDocs generates)."""
    return "papers-archive" in (checkout / "mkdocs.yml").read_text(encoding="utf-8")


def measure(
    checkout: Path, python: str, archive: Path, extra: Path, work: Path, mkdocs: bool
) -> dict[str, tuple[float, float]]:
    """One round of every measurement for one version, in a fresh `work` folder."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    copy_setup(checkout, work)
    shutil.copytree(archive / "digests", work / "digests")
    env = dict(os.environ, PYTHONPATH=str(checkout), NO_MKDOCS_2_WARNING="1")
    generate = [python, "-m", "generator", "build"]
    build = [python, "-m", "mkdocs", "build", "--strict", "-q"]
    found = {"generator, from scratch": timed(generate, work, env)}
    shutil.copy(extra, work / "digests" / extra.name)
    found["generator, after one new digest"] = timed(generate, work, env)
    if mkdocs:
        found["mkdocs build"] = timed(build, work, env)
        for leftover in ("site", "site_src", ".cache"):
            shutil.rmtree(work / leftover, ignore_errors=True)
        copy_setup(checkout, work)
        (work / "digests" / "urls.tsv").unlink()
        if runs_generator(checkout):
            found["make site, from scratch"] = timed(build, work, env)
        else:
            first, memory = timed(generate, work, env)
            second, more = timed(build, work, env)
            found["make site, from scratch"] = (first + second, max(memory, more))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000", help="comma-separated numbers of papers")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement; the median is shown")
    parser.add_argument("--mkdocs", action="store_true", help="also time mkdocs build and make site")
    parser.add_argument("--baseline", type=Path, help="another checkout of the project, measured alongside")
    parser.add_argument("--baseline-python", default=sys.executable, help="the Python to run the baseline with")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    args = parser.parse_args()
    versions = {"this checkout": (REPO, sys.executable)}
    if args.baseline:
        label = subprocess.run(
            ["git", "-C", str(args.baseline), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        versions = {f"baseline {label or args.baseline}": (args.baseline.resolve(), args.baseline_python), **versions}
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-"))
    results: dict[int, dict[str, dict[str, list[tuple[float, float]]]]] = {}
    try:
        for size in sorted(int(s) for s in args.sizes.split(",")):
            archive = root / f"archive-{size}"
            shutil.rmtree(archive, ignore_errors=True)
            extra = synthesise(archive, size)
            results[size] = {name: defaultdict(list) for name in versions}
            for turn in range(args.repeat):
                for name, (checkout, python) in versions.items():
                    found = measure(checkout, python, archive, extra, root / f"work-{size}", args.mkdocs)
                    for what, value in found.items():
                        results[size][name][what].append(value)
                    shown = ", ".join(f"{what} {s:.2f} s" for what, (s, _) in found.items())
                    print(f"{size:,} papers, {name}, run {turn + 1}: {shown}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(f"\nMachine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    for size, by_version in results.items():
        print(f"\n{size:,} papers (median of {args.repeat}):\n")
        print(
            "| | "
            + " | ".join(f"{name}: s | peak MB" for name in by_version)
            + (" | ratio |" if len(by_version) == 2 else " |")
        )
        print("|---|" + "---:|---:|" * len(by_version) + ("---:|" if len(by_version) == 2 else ""))
        for what in next(iter(by_version.values())):
            medians = [
                (statistics.median(s for s, _ in runs[what]), max(m for _, m in runs[what]))
                for runs in by_version.values()
            ]
            cells = " | ".join(f"{s:.2f} | {m:.0f}" for s, m in medians)
            ratio = f" | {medians[1][0] / medians[0][0]:.2f}" if len(medians) == 2 else ""
            print(f"| {what} | {cells}{ratio} |")
        for name, runs in by_version.items():
            full = statistics.median(s for s, _ in runs["generator, from scratch"])
            again = statistics.median(s for s, _ in runs["generator, after one new digest"])
            print(f"\n{name}: the rebuild after one digest takes {again / full:.0%} of a generation from scratch")


if __name__ == "__main__":
    main()
