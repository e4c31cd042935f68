"""Shared fixtures: the repository's sample digests and a small project to build them in."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

from sandbox import command_env, copy_site_setup  # noqa: E402

SAMPLES = REPO / "digests"
SAMPLE_FILES = sorted(p.name for p in SAMPLES.glob("*.txt"))


@dataclass
class Project:
    """A throwaway copy of the repository's site setup, with its own digests."""

    root: Path

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
        """Run `python -m generator build` in the project, as a user would."""
        return run([sys.executable, "-m", "generator", "build", *args], self.root, check)

    def mkdocs(self, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `mkdocs build --strict` in the project."""
        return run([sys.executable, "-m", "mkdocs", "build", "--strict"], self.root, check)

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
    """The samples generated and built with `mkdocs build --strict`, once per test session."""
    project = make_project(tmp_path_factory.mktemp("samples") / "project", with_samples=True)
    project.generate()
    project.mkdocs()
    return project
