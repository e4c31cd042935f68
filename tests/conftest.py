"""Shared fixtures: the repository's sample digests and a small project to build them in."""

from __future__ import annotations

import io
import logging
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

from sandbox import command_env, copy_site_setup  # noqa: E402

from generator.cli import main  # noqa: E402

SAMPLES = REPO / "digests"
SAMPLE_FILES = sorted(p.name for p in SAMPLES.glob("*.txt"))


@dataclass
class Project:
    """A throwaway copy of the repository's site setup, with its own digests."""

    root: Path
    built: subprocess.CompletedProcess[str] | None = None  # the last `mkdocs build`

    @property
    def digests(self) -> Path:
        return self.root / "digests"

    @property
    def docs(self) -> Path:
        return self.root / "site_src"

    @property
    def site(self) -> Path:
        return self.root / "site"

    def write_digest(self, name: str, text: str | bytes) -> Path:
        """Add a digest file."""
        path = self.digests / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8", newline="")
        return path

    def generate(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `python -m generator build` in the project, as a user would (in this process:
        the command line itself is tested as a command in test_build.py)."""
        return invoke(["build", *args], self.root, check)

    def mkdocs(self, check: bool = True, command: str = "mkdocs") -> subprocess.CompletedProcess[str]:
        """Run `mkdocs build --strict` (or ProperDocs') in the project: its plugin generates the pages.

        MkDocs runs in this process, as its command would (ProperDocs, which stands in for
        MkDocs' modules, in a process of its own); the log is the output.
        """
        if command == "mkdocs":
            self.built = build_in_process(self.root, check)
        else:
            self.built = run([sys.executable, "-m", command, "build", "--strict"], self.root, check)
        return self.built

    def page(self, path: str) -> str:
        """A built HTML page, by its site path (e.g. 'papers/some-slug/')."""
        return (self.site / path / "index.html").read_text(encoding="utf-8")


def run(args: list[str], cwd: Path, check: bool) -> subprocess.CompletedProcess[str]:
    """Run a command with the repository importable; fail loudly with its output."""
    env = command_env()
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def invoke(args: list[str], cwd: Path, check: bool) -> subprocess.CompletedProcess[str]:
    """The generator's command line, run in this process in `cwd`, as a finished process."""
    here = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, args, catch_exceptions=False)
    finally:
        os.chdir(here)
    done = subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)
    if check and done.returncode != 0:
        raise AssertionError(f"{args} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def build_in_process(root: Path, check: bool) -> subprocess.CompletedProcess[str]:
    """`mkdocs build --strict` in `root`, in this process: what its command line does, with its
    log (formatted as the command prints it) as the output."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)-8s-  %(message)s"))
    logger = logging.getLogger("mkdocs")
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    here = Path.cwd()
    os.chdir(root)
    code = 0
    try:
        config = load_config(config_file="mkdocs.yml", strict=True)
        config.plugins.on_startup(command="build", dirty=False)
        try:
            build(config)
        finally:
            config.plugins.on_shutdown()
    except MkDocsException as err:
        stream.write(f"Error: {err}\n")
        code = 1
    finally:
        os.chdir(here)
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate
    done = subprocess.CompletedProcess(["mkdocs", "build", "--strict"], code, "", stream.getvalue())
    if check and code:
        raise AssertionError(f"mkdocs build failed in {root}:\n{done.stderr}")
    return done


def make_project(root: Path, with_samples: bool = False) -> Project:
    """A fresh project folder (see sandbox.copy_site_setup), with the sample digests if asked."""
    copy_site_setup(root)
    (root / "digests").mkdir()
    if with_samples:
        for name in [*SAMPLE_FILES, "digests.yaml"]:
            shutil.copy(SAMPLES / name, root / "digests" / name)
    return Project(root)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """An empty project: add digests, then generate."""
    return make_project(tmp_path / "project")


@pytest.fixture
def sample_project(tmp_path: Path) -> Project:
    """A project holding the five sample digests and their date manifest."""
    return make_project(tmp_path / "project", with_samples=True)


@pytest.fixture(scope="session")
def built_samples(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The samples built with `mkdocs build --strict` (which generates the pages), once per test session."""
    project = make_project(tmp_path_factory.mktemp("samples") / "project", with_samples=True)
    project.mkdocs()
    return project
