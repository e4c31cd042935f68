"""Crash-safe and hostile-input-safe: killed builds, failing writes, a hostile manifest, links,
input meant to crash or hang the build.

Every case is a real build of real files. A killed build is a child process that kills itself
(SIGKILL: nothing of Python's runs after it) at the N-th write, rename or delete the writer makes.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import Project, make_project
from sandbox import command_env

import generator.write
from generator.write import JOURNAL, MANIFEST, NEW, digest, recover

# ---- helpers


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under a folder with its bytes and modification time."""
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def output(folder: Path) -> dict[str, bytes]:
    """Every file's bytes; the manifest's without the modification times it records (which
    differ between two folders built alike)."""
    files = {name: data for name, (data, _) in snapshot(folder).items()}
    if MANIFEST in files:
        lines = files[MANIFEST].decode("utf-8").splitlines()
        files[MANIFEST] = "\n".join(re.sub(r"^(\w{40} \d+) \d+ ", r"\1 ", line) for line in lines).encode()
    return files


def published(files: dict[str, bytes], hand: set[str]) -> dict[str, bytes]:
    """Of a docs folder's files, the generated ones MkDocs publishes: all but dotfiles and the
    hand-written pages."""
    return {
        name: data
        for name, data in files.items()
        if name not in hand and not any(part.startswith(".") for part in name.split("/"))
    }


def leftovers(folder: Path) -> list[str]:
    """Files a transaction leaves behind only when it did not finish: `.new` files, the journal,
    temporary files (`.name.tmp`)."""
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob(".*")
        if p.name.endswith((NEW, ".tmp")) or p.name == JOURNAL
    )


def copy_inputs(project: Project, root: Path) -> Project:
    """A project with the same inputs (digests with their registry, taxonomy, mkdocs.yml) and nothing built."""
    other = make_project(root)
    shutil.rmtree(other.digests)
    shutil.copytree(project.digests, other.digests, symlinks=True)
    for name in ("taxonomy.yaml", "mkdocs.yml"):
        shutil.copy(project.root / name, other.root / name)
    return other


def clean_build(project: Project, root: Path) -> tuple[dict[str, bytes], bytes]:
    """What a build from scratch of the project's current inputs gives: the docs folder, the registry."""
    other = copy_inputs(project, root)
    other.generate("--no-cache")
    return output(other.docs), (other.digests / "urls.tsv").read_bytes()


def one_line(stderr: str) -> str:
    """The only line on stderr (failing if there are more, or a traceback)."""
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


DAY_ONE = "A Paper\nAbout apples and pears.\nB Paper\nAbout pears and plums.\n"
DAY_TWO = "C Paper\nAbout plums and figs.\n"
DAY_THREE = "D Paper\nAbout figs and apples.\n"
DAY_FOUR = "E Paper\nAbout apples, again.\n"


def small_project(root: Path) -> Project:
    """Three digests, four papers: quick to build."""
    project = make_project(root)
    project.write_digest("2025-01-01.txt", DAY_ONE)
    project.write_digest("2025-01-02.txt", DAY_TWO)
    project.write_digest("2025-01-03.txt", DAY_THREE)
    return project


def change_digests(project: Project) -> None:
    """Add a digest and remove one: a rebuild then writes, replaces and deletes files."""
    project.write_digest("2025-01-04.txt", DAY_FOUR)
    (project.digests / "2025-01-02.txt").unlink()


def copy_project(project: Project, root: Path) -> Project:
    """A copy of a project as it is (cache and modification times included)."""
    return Project(Path(shutil.copytree(project.root, root, symlinks=True)))


# ---- 1. Killed builds

# Run in a child: wrap the writer's file creation, renames and deletions with a counter that
# kills the process (SIGKILL) at call number KILL_AT (0: never; then the calls are printed).
CHILD = """
import json, os, signal
import generator.write
from generator.cli import main

limit = int(os.environ["KILL_AT"])
calls = []

def counted(kind, function):
    def call(*args, **kwargs):
        if kind == "unlink" and not os.path.lexists(args[0]):
            return function(*args, **kwargs)  # removing nothing changes nothing: not a kill point
        calls.append((kind, os.fspath(args[0])))
        if len(calls) == limit:
            os.kill(os.getpid(), signal.SIGKILL)
        return function(*args, **kwargs)
    return call

generator.write._create = counted("create", generator.write._create)
os.replace = counted("replace", os.replace)
os.unlink = counted("unlink", os.unlink)
main(["build"], standalone_mode=False)
print(json.dumps(calls))
"""


def run_child(root: Path, kill_at: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHILD],
        cwd=root,
        env={**command_env(), "KILL_AT": str(kill_at)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def file_kind(path: str) -> str:
    """What a file the writer creates, renames or deletes is for."""
    base = os.path.basename(path)
    if path.startswith("digests/"):
        return "registry"
    if base == JOURNAL or base.startswith(f".{JOURNAL}."):
        return "journal"
    if re.fullmatch(rf"\.{re.escape(MANIFEST)}\.tmp", base):
        return "manifest"
    return "new file" if base.endswith(NEW) else "page"


# Where a build is killed (just before that call): the kind of call, what its file is for, which
# of those calls (0: the first, -1: the last, "middle"), and which files the recovery must
# leave: the previous build's ("old") or the new build's ("new").
KILL_POINTS: dict[str, tuple[str, str, int | str, str]] = {
    "journal written": ("create", "journal", 0, "old"),
    "journal in place": ("replace", "journal", 0, "old"),
    "first new file": ("create", "new file", 0, "old"),
    "a middle new file": ("create", "new file", "middle", "old"),
    "last new file": ("create", "new file", -1, "old"),
    "commit written": ("create", "journal", 1, "old"),
    "commit in place": ("replace", "journal", 1, "old"),
    "first rename": ("replace", "new file", 0, "new"),
    "a middle rename": ("replace", "new file", "middle", "new"),
    "last rename": ("replace", "new file", -1, "new"),
    "first deletion": ("unlink", "page", 0, "new"),
    "last deletion": ("unlink", "page", -1, "new"),
    "manifest written": ("create", "manifest", 0, "new"),
    "manifest in place": ("replace", "manifest", 0, "new"),
    "journal removed": ("unlink", "journal", -1, "new"),
    "registry written": ("create", "registry", 0, "new"),
    "registry in place": ("replace", "registry", 0, "new"),
}
FIRST_BUILD_POINTS = [name for name in KILL_POINTS if "deletion" not in name]  # a first build deletes nothing


def kill_at(calls: list[tuple[str, str]], point: str) -> int:
    """The number of the call (from 1) a kill point is."""
    kind, what, which, _ = KILL_POINTS[point]
    found = [number for number, (k, path) in enumerate(calls, start=1) if k == kind and file_kind(path) == what]
    assert found, f"no call for the kill point {point!r} in {calls}"
    return found[len(found) // 2] if which == "middle" else found[int(which)]


@dataclass
class Killed:
    """A build killed at one point: the project as it left it."""

    project: Project
    child: subprocess.CompletedProcess[str]
    number: int  # of the call it was killed at
    expect: str  # "old" or "new"


@dataclass
class Scenario:
    before: Project  # what the killed builds start from
    hand: set[str]  # the hand-written files of the docs folder
    previous: dict[str, bytes]  # the generated files visible before
    new: dict[str, bytes]  # the generated files visible after a complete build
    expected: dict[str, bytes]  # the docs folder a clean build of the same inputs gives
    registry: bytes  # and its registry
    digests: list[str]  # the names in digests/ after a complete build
    killed: dict[str, Killed]


@pytest.fixture(scope="module")
def killed_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Scenario]:
    """Both scenarios' builds killed at every kill point (the children run side by side)."""
    root = tmp_path_factory.mktemp("killed")
    first = small_project(root / "first")
    hand = set(snapshot(first.docs))  # about.md, assets, ...: nothing is generated yet
    second = copy_project(first, root / "second")
    second.generate()
    change_digests(second)
    jobs: list[tuple[str, str, Project, int]] = []
    scenarios: dict[str, Scenario] = {}
    for name, before, points in (("first build", first, FIRST_BUILD_POINTS), ("rebuild", second, list(KILL_POINTS))):
        counting = copy_project(before, root / f"{name}-count")
        child = run_child(counting.root, 0)
        assert child.returncode == 0, child.stderr
        calls = [tuple(call) for call in json.loads(child.stdout.splitlines()[-1])]
        expected, registry = clean_build(before, root / f"{name}-clean")
        scenarios[name] = Scenario(
            before=before,
            hand=hand,
            previous=published(output(before.docs), hand),
            new=published(expected, hand),
            expected=expected,
            registry=registry,
            digests=sorted(p.name for p in counting.digests.iterdir()),
            killed={},
        )
        assert published(output(counting.docs), hand) == scenarios[name].new != scenarios[name].previous
        numbers = {point: kill_at(calls, point) for point in points}
        assert min(numbers.values()) == 1 and max(numbers.values()) == len(calls)  # the whole build
        for point, number in numbers.items():
            jobs.append((name, point, copy_project(before, root / f"{name}-{point}".replace(" ", "-")), number))
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        children = list(pool.map(lambda job: run_child(job[2].root, job[3]), jobs))
    for (name, point, project, number), child in zip(jobs, children, strict=True):
        scenarios[name].killed[point] = Killed(project, child, number, KILL_POINTS[point][3])
    return scenarios


def kill_cases() -> list[object]:
    cases = []
    for scenario, points in (("first build", FIRST_BUILD_POINTS), ("rebuild", list(KILL_POINTS))):
        for point in points:
            cases.append(pytest.param(scenario, point, id=f"{scenario}: killed before {point}"))
    return cases


@pytest.mark.parametrize(("scenario", "point"), kill_cases())
def test_a_killed_build_leaves_the_old_files_or_the_new_and_the_next_build_finishes(
    killed_builds: dict[str, Scenario], scenario: str, point: str
) -> None:
    case = killed_builds[scenario]
    killed = case.killed[point]
    assert killed.child.returncode == -9, (killed.number, killed.child.stdout, killed.child.stderr)
    docs = killed.project.docs
    # (i) what any next build does first: the files are the previous build's or the new one's, never a mix
    recover(docs)
    assert published(output(docs), case.hand) == (case.previous if killed.expect == "old" else case.new)
    assert not [name for name in leftovers(docs) if name.endswith((NEW, JOURNAL))]
    # (ii) the next build gives what a clean build gives, and leaves nothing behind
    killed.project.generate()
    assert leftovers(docs) == []
    assert sorted(p.name for p in killed.project.digests.iterdir()) == case.digests
    assert output(docs) == case.expected
    assert (killed.project.digests / "urls.tsv").read_bytes() == case.registry


# ---- 2. Failing writes


@pytest.mark.parametrize(
    ("rebuild", "failing", "error"),
    [
        pytest.param(False, 5, OSError(errno.ENOSPC, "No space left on device"), id="first build, disk full"),
        pytest.param(True, 5, OSError(errno.ENOSPC, "No space left on device"), id="rebuild, disk full"),
        pytest.param(True, 5, OSError(errno.EACCES, "Permission denied"), id="rebuild, permission denied"),
        pytest.param(True, 1, OSError(errno.ENOSPC, "No space left on device"), id="rebuild, the journal"),
    ],
)
def test_a_failing_write_changes_nothing_and_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rebuild: bool, failing: int, error: OSError
) -> None:
    project = small_project(tmp_path / "project")
    if rebuild:
        project.generate()
        change_digests(project)
    before = snapshot(project.docs)
    create = generator.write._create
    calls: list[str] = []

    def fail(path: str, data: bytes) -> None:
        calls.append(path)
        if len(calls) == failing:
            raise error
        create(path, data)

    monkeypatch.setattr(generator.write, "_create", fail)
    result = project.generate(check=False)
    monkeypatch.undo()
    assert result.returncode == 1
    folder, base = os.path.split(calls[-1])  # the file being written: .NAME.new, or .NAME.tmp
    target = os.path.join(folder, re.sub(rf"^\.(.+?)(\.tmp|{re.escape(NEW)})$", r"\1", base))
    assert os.path.basename(target) not in ("", NEW)
    assert one_line(result.stderr) == f"Error: {target}: cannot write ({error.strerror})"
    assert snapshot(project.docs) == before  # bytes and modification times: no .new file, no journal
    expected, registry = clean_build(project, tmp_path / "clean")
    if failing > 1:
        assert Path(project.root, target).relative_to(project.docs).as_posix() in expected  # a real page
    project.generate()
    assert output(project.docs) == expected
    assert leftovers(project.docs) == []
    assert (project.digests / "urls.tsv").read_bytes() == registry


# ---- 3. The manifest cannot delete outside what it owns


def hostile_manifest(project: Project, outside: Path, well_formed: bool, climbing: bool = True) -> list[Path]:
    """Append lines naming files outside the folders the generator owns to a built project's
    manifest (bare, or well formed with the files' true hashes, so only where they are protects
    them), and one well formed with a wrong hash for a hand-written file in a folder it owns;
    the files they name (all inside the test's folders). Without `climbing`, no line climbs out
    of an owned folder (`papers/../../x`)."""
    outside.mkdir()
    (project.root / "README.md").write_text("the project's readme\n", encoding="utf-8")
    (project.root / "x").write_text("a file beside the docs folder\n", encoding="utf-8")
    absolute = outside / "absolute.md"
    absolute.write_text("a file elsewhere\n", encoding="utf-8")
    mine = project.docs / "papers" / "my-notes.md"
    mine.write_text("# Notes written by hand\n", encoding="utf-8")
    targets = {
        "../README.md": project.root / "README.md",
        **({"papers/../../x": project.root / "x"} if climbing else {}),
        str(absolute): absolute,
        "about.md": project.docs / "about.md",
        "assets/javascripts/search.js": project.docs / "assets" / "javascripts" / "search.js",
    }
    lines = []
    for name, path in targets.items():
        data = path.read_bytes()
        lines.append(f"{digest(data)} {len(data)} {path.stat().st_mtime_ns} {name}" if well_formed else name)
    lines.append(f"{'0' * 40} {mine.stat().st_size} {mine.stat().st_mtime_ns} papers/my-notes.md")
    with open(project.docs / MANIFEST, "a", encoding="utf-8") as stream:
        stream.write("".join(f"{line}\n" for line in lines))
    return [*targets.values(), mine]


@pytest.mark.parametrize("climbing", [True, False], ids=["all lines", "no line climbing out of papers/"])
@pytest.mark.parametrize("well_formed", [False, True], ids=["bare lines", "lines with the true hashes"])
def test_the_manifest_cannot_delete_outside_what_the_generator_owns(
    tmp_path: Path, well_formed: bool, climbing: bool
) -> None:
    project = small_project(tmp_path / "project")
    project.generate()
    files = hostile_manifest(project, tmp_path / "outside", well_formed, climbing)
    held = {path: path.read_bytes() for path in files}
    change_digests(project)
    result = project.generate()
    assert {path: path.read_bytes() for path in files if path.exists()} == held
    if not climbing:  # the build went through: the hand-written file in papers/ was kept, with a warning
        assert not (project.docs / "papers" / "c-paper.md").exists()
        assert (
            "Warning: site_src/papers/my-notes.md: changed by hand since the generator wrote it; kept "
            "(delete it if it should go)"
        ) in result.stderr.splitlines()


def test_a_hostile_manifest_line_does_not_stop_the_build_updating_the_pages(tmp_path: Path) -> None:
    project = small_project(tmp_path / "project")
    project.generate()
    hostile_manifest(project, tmp_path / "outside", well_formed=False)
    change_digests(project)
    result = project.generate()
    assert leftovers(project.docs) == []
    assert (project.docs / "papers" / "e-paper.md").is_file()
    assert not (project.docs / "papers" / "c-paper.md").exists()
    assert "damaged journal" not in result.stderr


def test_a_generated_page_edited_by_hand_is_kept_when_its_paper_goes(project: Project) -> None:
    project.write_digest("2025-01-01.txt", DAY_ONE)
    project.write_digest("2025-01-02.txt", DAY_TWO)
    project.generate()
    page = project.docs / "papers" / "c-paper.md"
    page.write_bytes(page.read_bytes() + b"\nA note of mine.\n")
    edited = page.read_bytes()
    (project.digests / "2025-01-02.txt").unlink()
    result = project.generate()
    assert page.read_bytes() == edited
    assert (
        "Warning: site_src/papers/c-paper.md: changed by hand since the generator wrote it; kept "
        "(delete it if it should go)"
    ) in result.stderr.splitlines()
    assert not (project.docs / "archive" / "2025-01-02.md").exists()  # unchanged pages do go
    result = project.generate()  # and it stays kept, named again
    assert page.read_bytes() == edited
    assert "changed by hand since the generator wrote it; kept" in result.stderr


# ---- 4. Symbolic links


@pytest.mark.parametrize("rebuild", [False, True], ids=["first build", "rebuild"])
def test_the_generator_never_writes_through_a_linked_folder(tmp_path: Path, rebuild: bool) -> None:
    project = small_project(tmp_path / "project")
    outside = tmp_path / "outside"
    if rebuild:
        project.generate()
        shutil.copytree(project.docs / "papers", outside)  # the same pages, elsewhere
        shutil.rmtree(project.docs / "papers")
        change_digests(project)
    else:
        outside.mkdir()
    (project.docs / "papers").symlink_to(outside, target_is_directory=True)
    there = snapshot(outside)
    before = snapshot(project.docs)
    result = project.generate(check=False)
    assert result.returncode == 1
    assert one_line(result.stderr) == "Error: site_src/papers: is a link; the generator never writes through links"
    assert snapshot(outside) == there
    assert snapshot(project.docs) == before


def test_a_digest_linked_from_outside_the_digests_folder_is_refused(tmp_path: Path, project: Project) -> None:
    project.write_digest("2025-01-01.txt", DAY_ONE)
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text(DAY_TWO, encoding="utf-8")
    (project.digests / "2025-01-02.txt").symlink_to(elsewhere)
    result = project.generate(check=False)
    assert result.returncode == 1
    assert one_line(result.stderr) == (
        "Error: digests/2025-01-02.txt: is a link to a file outside the digests folder; copy the file in instead"
    )
    assert not (project.docs / "papers").exists()


@pytest.mark.parametrize("to_a_digest", [True, False], ids=["to a digest", "to a file of another name"])
def test_a_digest_linked_from_inside_the_digests_folder_is_read(project: Project, to_a_digest: bool) -> None:
    project.write_digest("2025-01-01.txt", DAY_ONE)
    if to_a_digest:  # the same papers on a second day
        (project.digests / "2025-01-02.txt").symlink_to("2025-01-01.txt")
    else:
        project.write_digest("kept/c-paper.text", DAY_TWO)  # not a digest by its name
        (project.digests / "2025-01-02.txt").symlink_to(Path("kept", "c-paper.text"))
    result = project.generate()
    assert result.stdout.startswith(f"{2 if to_a_digest else 3} papers from 2 digests: ")
    day = (project.docs / "archive" / "2025-01-02.md").read_text(encoding="utf-8")
    assert ("B Paper" if to_a_digest else "C Paper") in day


# ---- 5. One-line errors instead of tracebacks


def taxonomy_with(key: str, pattern: str, name: str = "Big") -> str:
    """A one-tag taxonomy whose tag has a regular expression (in `patterns` or `exclude`)."""
    return (
        "settings: {min_papers: 1}\n"
        "tags:\n"
        f"  - name: {name}\n"
        f"    description: {name}.\n"
        "    words: [apples]\n"
        f"    {key}: [{json.dumps(pattern)}]\n"
    )


NESTED = "(" * 1000 + "a" + ")" * 1000
# A bad digest: in lenient mode it is left out with a warning and the rest is built.
BAD_DIGESTS = {
    "JSON nested 5,000 levels deep": (
        "2025-01-02.json",
        "[" * 5000 + "]" * 5000,
        "digests/2025-01-02.json: invalid JSON: nested too deeply",
    ),
    "an integer of 5,000 digits": (
        "2025-01-02.json",
        '[\n  {"paper": {"title": "T", "summary": "S",\n    "upvotes": ' + "9" * 5000 + "}}\n]\n",
        "digests/2025-01-02.json:3: invalid JSON: a number too long to read",
    ),
    "a lone surrogate in a JSON title": (
        "2025-01-02.json",
        '[\n  {"paper": {"title": "A \\ud800 title", "summary": "S"}}\n]\n',
        "digests/2025-01-02.json:2: invalid JSON: a lone surrogate (half a character) in a string",
    ),
    "a lone surrogate in a YAML title": (
        "2025-01-02.yaml",
        'date: 2025-01-02\npapers:\n  - title: "A \\ud800 title"\n    abstract: S\n',
        "digests/2025-01-02.yaml:3: invalid YAML: a lone surrogate (half a character) in a value",
    ),
}
# A bad file that is not a digest: an error in lenient mode too.
BAD_FILES = {
    "bytes that are not UTF-8 in digests.yaml": (
        "digests/digests.yaml",
        b"year: 2025\ndigests:\n  # caf\xe9\n",
        "digests/digests.yaml:3: not valid UTF-8 text",
    ),
    "bytes that are not UTF-8 in urls.tsv": (
        "digests/urls.tsv",
        b"# the registry\na-paper\ta paper\nb-paper\tb \xff paper\n",
        "digests/urls.tsv:3: not valid UTF-8 text",
    ),
    "bytes that are not UTF-8 in taxonomy.yaml": (
        "taxonomy.yaml",
        b"tags:\n  - name: Fruit\n    description: Caf\xe9.\n    words: [apples]\n",
        "taxonomy.yaml:3: not valid UTF-8 text",
    ),
    "a pattern repeated 4294967296 times": (
        "taxonomy.yaml",
        taxonomy_with("patterns", "a{4294967296}").encode(),
        "taxonomy.yaml: tag 'Big': invalid regular expression 'a{4294967296}' in patterns: "
        "the repetition number is too large",
    ),
    "a pattern of a thousand nested groups": (
        "taxonomy.yaml",
        taxonomy_with("patterns", NESTED).encode(),
        # Python's own words, which depend on where the recursion hit its limit
        f"taxonomy.yaml: tag 'Big': invalid regular expression {NESTED!r} in patterns: "
        "maximum recursion depth exceeded",
    ),
    "a slug with a space": (
        "digests/urls.tsv",
        b"# the registry\na paper\ta paper\n",
        "digests/urls.tsv:2: 'a paper' is not a slug (lower-case letters and digits between hyphens)",
    ),
    "a slug with markup": (
        "digests/urls.tsv",
        b"a-paper\ta paper\n<b>x</b>\tb paper\n",
        "digests/urls.tsv:2: '<b>x</b>' is not a slug (lower-case letters and digits between hyphens)",
    ),
    "a slug that is an absolute path": (
        "digests/urls.tsv",
        b"# the registry\n\n/etc/x\ta paper\n",
        "digests/urls.tsv:3: '/etc/x' is not a slug (lower-case letters and digits between hyphens)",
    ),
}


@pytest.mark.parametrize("case", list(BAD_DIGESTS))
def test_a_hostile_digest_is_one_line_and_lenient_mode_leaves_it_out(project: Project, case: str) -> None:
    name, text, message = BAD_DIGESTS[case]
    project.write_digest("2025-01-01.txt", DAY_ONE)
    project.write_digest(name, text)
    result = project.generate(check=False)
    assert result.returncode == 1
    assert one_line(result.stderr) == f"Error: {message}"
    assert not (project.docs / "papers").exists()
    result = project.generate("--lenient", check=False)
    assert result.returncode == 0
    assert one_line(result.stderr) == f"Warning: {message}; digest left out (lenient mode)"
    assert "2 papers from 1 digests" in result.stdout
    assert (project.docs / "papers" / "a-paper.md").is_file()


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_hostile_input_file_is_one_line_strict_and_lenient(project: Project, case: str) -> None:
    path, data, message = BAD_FILES[case]
    project.write_digest("2025-01-01.txt", DAY_ONE)
    (project.root / path).write_bytes(data)
    for lenient in ((), ("--lenient",)):
        result = project.generate(*lenient, check=False)
        assert result.returncode == 1
        line = one_line(result.stderr)
        if "recursion" in message:
            assert re.fullmatch(re.escape(f"Error: {message}") + r"(?: [a-z ]+)?", line)
        else:
            assert line == f"Error: {message}"
        assert result.stdout == ""
        assert not (project.docs / "papers").exists()


LATE_PAPER = "Late Paper\nAbout the end of time.\n"
LATE = {
    "a digest named 9999-12-31.txt": {"9999-12-31.txt": LATE_PAPER},
    "a date line of 9999 with its year in digests.yaml": {
        "late.txt": "Dec 31, 9999\n" + LATE_PAPER,
        "digests.yaml": "digests:\n  late.txt:\n    year: 9999\n",
    },
    "a YAML digest dated 9999-12-31": {
        "late.yaml": "date: 9999-12-31\npapers:\n  - title: Late Paper\n    abstract: About the end of time.\n"
    },
    "digests.yaml dating a digest 9999-12-31": {
        "late.txt": LATE_PAPER,
        "digests.yaml": "digests:\n  late.txt:\n    date: 9999-12-31\n",
    },
}


@pytest.mark.parametrize("case", list(LATE))
def test_the_last_day_there_is_builds(project: Project, case: str) -> None:
    project.write_digest("2025-01-01.txt", DAY_ONE)
    for name, text in LATE[case].items():
        project.write_digest(name, text)
    result = project.generate()
    assert result.stderr == ""
    assert "3 papers from 2 digests" in result.stdout
    assert "Late Paper" in (project.docs / "archive" / "9999-12-31.md").read_text(encoding="utf-8")
    assert (project.docs / "papers" / "late-paper.md").is_file()


def test_a_word_of_fifty_thousand_letters_is_indexed(project: Project) -> None:
    project.write_digest("2025-01-01.txt", DAY_ONE)
    project.write_digest("2025-01-02.txt", "Long Paper\n" + "x" * 50_000 + "\n")
    result = project.generate()
    assert result.stderr == ""
    index = project.docs / "search-index"
    assert json.loads((index / "meta.json").read_bytes())
    assert "long paper" in (index / "docs" / "0.json").read_text(encoding="utf-8").lower()
    assert (index / "terms" / "xx.json").is_file()  # the long word's terms


def test_a_line_break_in_a_digest_name_stays_escaped(project: Project) -> None:
    project.write_digest("2025-01-01.txt", DAY_ONE)
    project.write_digest("2025-01-05\nx.txt", DAY_TWO)  # dated by its name
    project.write_digest("a\nb.txt", DAY_THREE)  # undated
    result = project.generate()
    assert result.stderr.splitlines() == [
        "Warning: digests/a\\nb.txt: no date (no manifest entry, no ISO date in the name, no date line); "
        "listed as undated"
    ]
    # the names shown escaped, as Python writes them (a\nb.txt), whatever else the page escapes
    escaped = {"a": r"a(?:\\|&#92;)nb(?:\.|&#46;)txt", "x": r"05(?:\\|&#92;)nx(?:\.|&#46;)txt"}
    assert re.search(escaped["a"], (project.docs / "archive" / "undated.md").read_text(encoding="utf-8"))
    assert re.search(escaped["x"], (project.docs / "archive" / "2025-01-05.md").read_text(encoding="utf-8"))
    for page in project.docs.rglob("*.md"):  # and never broken over two lines
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"a\r?\n\s*b(?:\.|&#46;)txt", text), page
        assert not re.search(r"05\r?\n\s*x(?:\.|&#46;)txt", text), page
    # an error naming the file is one line too
    project.write_digest("a\nb.txt", "A title without its abstract\n")
    result = project.generate(check=False)
    assert result.returncode == 1
    assert one_line(result.stderr) == (
        "Error: digests/a\\nb.txt:1: title without abstract (titles and abstracts must alternate)"
    )


def test_a_manifest_line_that_is_not_utf8_is_ignored_with_a_warning(tmp_path: Path, project: Project) -> None:
    project.write_digest("2025-01-01.txt", DAY_ONE)
    project.generate()
    manifest = project.docs / MANIFEST
    lines = manifest.read_bytes().splitlines(keepends=True)
    manifest.write_bytes(b"".join([*lines[:3], b"caf\xe9 papers/nothing.md\n", *lines[3:]]))
    project.write_digest("2025-01-02.txt", DAY_TWO)
    result = project.generate()
    assert "Warning: site_src/.generated:4: not UTF-8 text; the line is ignored" in result.stderr.splitlines()
    assert output(project.docs) == clean_build(project, tmp_path / "clean")[0]
    assert b"\xe9" not in manifest.read_bytes()  # the next list is written whole, as UTF-8


def test_a_manifest_line_that_is_not_utf8_is_warned_about_once(project: Project) -> None:
    project.write_digest("2025-01-01.txt", DAY_ONE)
    project.generate()
    with open(project.docs / MANIFEST, "ab") as stream:
        stream.write(b"caf\xe9 papers/nothing.md\n")
    result = project.generate()
    assert result.stderr.count("not UTF-8 text") == 1


# ---- 6. Patterns that could hang

# Patterns that make a backtracking engine (Python's) take time exponential or polynomial in the
# length of a word, with the papers of HANGING_DIGEST each tags: RE2 runs them in linear time.
HANGING = {
    "(\\w+\\s?)*$": {"Many As", "Long As"},  # every text's end
    "(a+)+$": {"Long As"},  # "aaa...ab" ends in b
    "\\w*\\w*\\w*\\w*b": {"Many As"},
    ".*.*.*.*=": set(),
}
HANGING_DIGEST = "Many As\n" + "a" * 40 + "b\n\nLong As\n" + "a" * 5000 + "\n\nApples\napples " + "a" * 5000 + "\n"


def build_in_time(project: Project) -> subprocess.CompletedProcess[str]:
    """Build in a child process: a hang times out."""
    return subprocess.run(
        [sys.executable, "-m", "generator", "build"],
        cwd=project.root,
        env=command_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def tagged(project: Project, tag: str) -> set[str]:
    papers = json.loads((project.docs / "papers.json").read_text(encoding="utf-8"))["papers"]
    return {paper["title"] for paper in papers if tag in paper["tags"]}


@pytest.mark.parametrize("pattern", list(HANGING))
def test_a_pattern_that_backtracks_for_hours_in_python_builds_and_tags_what_it_matches(
    tmp_path: Path, pattern: str
) -> None:
    project = make_project(tmp_path / "project", with_samples=True)
    project.write_digest("2025-03-21.txt", HANGING_DIGEST)
    taxonomy = taxonomy_with("patterns", pattern, "Slow").replace("{min_papers: 1}", "{min_papers: 1, threshold: 1}")
    (project.root / "taxonomy.yaml").write_text(taxonomy, encoding="utf-8")
    result = build_in_time(project)
    assert result.returncode == 0, result.stderr
    assert tagged(project, "Slow") & {"Many As", "Long As"} == HANGING[pattern]


def test_an_exclusion_that_backtracks_for_hours_in_python_builds_and_excludes(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project", with_samples=True)
    project.write_digest("2025-03-21.txt", HANGING_DIGEST)
    taxonomy = taxonomy_with("exclude", "(\\w+\\s?)*$", "Slow")
    (project.root / "taxonomy.yaml").write_text(taxonomy, encoding="utf-8")
    result = build_in_time(project)
    assert result.returncode == 0, result.stderr
    assert "Apples" not in tagged(project, "Slow")  # its title and abstract end in the exclusion's matches
    (project.root / "taxonomy.yaml").write_text(taxonomy_with("exclude", "nothing like this", "Slow"), encoding="utf-8")
    assert build_in_time(project).returncode == 0
    assert "Apples" in tagged(project, "Slow")


@pytest.mark.parametrize("pattern", ["weights(?! decay)", "(?<=model )merging", "(a)\\1"])
def test_a_pattern_re2_cannot_run_is_refused_naming_the_tag(project: Project, pattern: str) -> None:
    project.write_digest("2025-01-01.txt", DAY_ONE)
    (project.root / "taxonomy.yaml").write_text(taxonomy_with("patterns", pattern, "Slow"), encoding="utf-8")
    result = project.generate(check=False)
    assert result.returncode == 1
    assert re.fullmatch(
        rf"Error: taxonomy\.yaml: tag 'Slow': regular expression {re.escape(repr(pattern))} in patterns: "
        r"RE2 cannot run it \(invalid (?:perl operator|escape sequence): .+\); patterns run in RE2, which has "
        r"no lookarounds or backreferences \(write it without\)",
        one_line(result.stderr),
    )
    assert not (project.docs / "papers").exists()


def test_forty_as_and_a_b_build_with_a_safe_pattern(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    project.write_digest("2025-01-01.txt", DAY_ONE)
    project.write_digest("2025-01-02.txt", "Many As\n" + "a" * 40 + "b\n")
    taxonomy = taxonomy_with("patterns", "a+b", "Slow").replace("{min_papers: 1}", "{min_papers: 1, threshold: 1}")
    (project.root / "taxonomy.yaml").write_text(taxonomy, encoding="utf-8")
    started = time.monotonic()
    project.generate()
    assert time.monotonic() - started < 30
    assert (project.docs / "topics" / "slow" / "index.md").is_file()
    assert "Many As" in (project.docs / "topics" / "slow" / "index.md").read_text(encoding="utf-8")


# ---- 7. Smaller


def test_a_yaml_alias_bomb_is_refused_at_once(project: Project) -> None:
    project.write_digest("2025-01-01.txt", DAY_ONE)
    papers = "".join(f"  - {{title: Copy {i}, abstract: *long}}\n" for i in range(20_000))
    text = "date: 2025-01-02\npapers:\n  - title: The original\n    abstract: &long " + "x" * 100_000 + "\n" + papers
    assert 500_000 < len(text) < 1_000_000
    project.write_digest("2025-01-02.yaml", text)
    started = time.monotonic()
    result = project.generate(check=False)
    assert time.monotonic() - started < 10
    assert result.returncode == 1
    assert one_line(result.stderr) == "Error: digests/2025-01-02.yaml:5: invalid YAML: aliases (*name) are not allowed"


def test_a_control_character_in_a_yaml_digest_names_it_and_its_line(project: Project) -> None:
    project.write_digest("2025-01-01.txt", DAY_ONE)
    project.write_digest("2025-01-02.yaml", 'date: 2025-01-02\npapers:\n  - title: "A bell\x07"\n    abstract: Ding.\n')
    result = project.generate(check=False)
    assert result.returncode == 1
    assert one_line(result.stderr) == (
        "Error: digests/2025-01-02.yaml:3: invalid YAML: the character U+0007 is not allowed"
    )


TWIN = (
    "Error: site_src/papers/a-paper/index.md: a page written by hand where the generated papers/a-paper.md goes "
    "(MkDocs would publish both at one address); move it away"
)


def test_a_hand_written_page_at_a_generated_page_s_address_is_refused(project: Project) -> None:
    project.write_digest("2025-01-01.txt", DAY_ONE)
    (project.docs / "papers" / "a-paper").mkdir(parents=True)
    (project.docs / "papers" / "a-paper" / "index.md").write_text("# Mine\n", encoding="utf-8")
    result = project.generate(check=False)
    assert result.returncode == 1
    assert one_line(result.stderr) == TWIN
    assert not (project.docs / "papers" / "a-paper.md").exists()


def test_a_hand_written_page_at_a_generated_page_s_address_is_refused_on_a_rebuild(project: Project) -> None:
    project.write_digest("2025-01-01.txt", DAY_ONE)
    project.generate()
    (project.docs / "papers" / "a-paper").mkdir(parents=True)
    (project.docs / "papers" / "a-paper" / "index.md").write_text("# Mine\n", encoding="utf-8")
    project.write_digest("2025-01-02.txt", DAY_TWO)
    result = project.generate(check=False)
    assert result.returncode == 1
    assert one_line(result.stderr) == TWIN
