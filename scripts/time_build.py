"""Time the build on the repository's digests: the generator alone, then `mkdocs build`.

Usage: python scripts/time_build.py [--runs N]

Builds in a temporary copy of the project, so the working tree is left alone, and prints the
median wall time of each step over N runs (the first run of the generator writes every file;
later runs find most files unchanged, so both a cold and a warm generator time are shown).
`mkdocs build` runs the generator first (its plugin), which then finds nothing changed.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sandbox import command_env, copy_site_setup

REPO = Path(__file__).resolve().parent.parent


def timed(args: list[str], cwd: Path) -> float:
    """Run a command and return its wall time in seconds."""
    env = command_env()
    started = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    generate = [sys.executable, "-m", "generator", "build"]
    mkdocs = [sys.executable, "-m", "mkdocs", "build", "--strict"]
    cold, warm, site = [], [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            root = copy_site_setup(Path(folder), digests=True)
            cold.append(timed(generate, root))
            warm.append(timed(generate, root))
            site.append(timed(mkdocs, root))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"median of {runs} runs, wall time including interpreter start-up:")
    print(f"  generator, empty site_src:      {statistics.median(cold):.2f} s")
    print(f"  generator, nothing changed:     {statistics.median(warm):.2f} s")
    print(f"  mkdocs build --strict:          {statistics.median(site):.2f} s")


if __name__ == "__main__":
    main()
