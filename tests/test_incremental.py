"""Incremental builds: with the cache, the output is byte for byte what a build from scratch makes."""

from __future__ import annotations

import datetime as dt
import os
import pickle
import re
import shutil
import sqlite3
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import SAMPLE_FILES, SAMPLES, Project, make_project
from test_build import generated_files, ids_by_title, snapshot

from generator.cache import key
from generator.enrich import ENRICHMENT_NAME, Found, enrichment_text
from generator.model import Details, title_key
from generator.write import digest, unchanged, write_site

CACHE = Path(".cache") / "cache.sqlite"
REPORT = re.compile(r"(\d+) files written, (\d+) unchanged, (\d+) removed")


def output(folder: Path) -> dict[str, bytes]:
    """Every file's bytes; the manifest's without the modification times it records (which
    differ between two folders built alike)."""
    files = {name: data for name, (data, _) in snapshot(folder).items()}
    if ".generated" in files:
        lines = files[".generated"].decode("utf-8").splitlines()
        files[".generated"] = "\n".join(re.sub(r"^(\w{40} \d+) \d+ ", r"\1 ", line) for line in lines).encode()
    return files


def written(result: subprocess.CompletedProcess[str]) -> int:
    """The number of files a build says it wrote."""
    found = REPORT.search(result.stdout)
    assert found, result.stdout
    return int(found[1])


def fresh_build(project: Project, root: Path) -> dict[str, bytes]:
    """The same inputs (digests, registry, enrichment, taxonomy, mkdocs.yml) built from scratch in another folder."""
    other = make_project(root)
    shutil.rmtree(other.digests)
    shutil.copytree(project.digests, other.digests)
    for name in ("taxonomy.yaml", "mkdocs.yml"):
        shutil.copy(project.root / name, other.root / name)
    other.generate("--no-cache")
    assert not (other.root / ".cache").exists()
    assert (other.digests / "urls.tsv").read_bytes() == (project.digests / "urls.tsv").read_bytes()
    return output(other.docs)


@pytest.fixture(scope="module")
def built_once(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The samples built once (with the cache) for this module; tests work on copies."""
    project = make_project(tmp_path_factory.mktemp("built") / "project", with_samples=True)
    project.generate()
    return project


@pytest.fixture
def built(built_once: Project, tmp_path: Path) -> Project:
    """A copy of the built samples, cache included, its files' modification times kept."""
    return Project(Path(shutil.copytree(built_once.root, tmp_path / "project", symlinks=True)))


def test_adding_a_digest_rewrites_only_what_changed(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    shutil.copy(SAMPLES / "digests.yaml", project.digests)
    late = "003_c33ec5dd97a82db6.txt"  # the newest dated digest (2025-03-17)
    for name in SAMPLE_FILES:
        if name != late:
            shutil.copy(SAMPLES / name, project.digests)
    project.generate()
    assert (project.root / CACHE).is_file()
    before = snapshot(project.docs)
    shutil.copy(SAMPLES / late, project.digests)
    result = project.generate()
    after = snapshot(project.docs)
    assert output(project.docs) == fresh_build(project, tmp_path / "fresh")
    # Files whose bytes did not change were not touched; the others were rewritten, and counted.
    pages = (before.keys() & after.keys()) - {".generated"}
    same = [name for name in pages if before[name][0] == after[name][0]]
    changed = [name for name in pages if before[name][0] != after[name][0]]
    new = after.keys() - before.keys()
    assert len([name for name in same if name.startswith("papers/")]) > 50 and changed and new
    assert all(before[name][1] == after[name][1] for name in same)
    assert all(before[name][1] != after[name][1] for name in changed)
    assert written(result) == len(changed) + len(new)
    assert f"{len(before.keys() - after.keys())} removed" in result.stdout


def test_a_rebuild_with_nothing_changed_writes_nothing(built: Project) -> None:
    before = snapshot(built.docs)
    result = built.generate()
    assert f"0 files written, {len(generated_files(built))} unchanged, 0 removed" in result.stdout
    assert snapshot(built.docs) == before  # bytes and modification times, the manifest's too


def test_every_kind_of_change_gives_the_full_builds_output(
    built: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SITE_URL", raising=False)
    project = built
    steps = []

    def check(label: str) -> None:
        project.generate()
        steps.append(label)
        assert output(project.docs) == fresh_build(project, tmp_path / f"fresh{len(steps)}"), label

    # A topic removed from the taxonomy: tags, topic pages and every paper page that showed it.
    taxonomy = project.root / "taxonomy.yaml"
    text = taxonomy.read_text(encoding="utf-8")
    start = text.index("  - name: Agents")
    end = text.index("  - name:", start + 1)
    taxonomy.write_text(text[:start] + text[end:], encoding="utf-8")
    check("taxonomy")
    assert not (project.docs / "topics" / "agents").exists()
    # An abstract edited in place: that paper's terms, tags and related papers, and others' lists.
    digest_file = project.digests / "002_ca25427895eae461.txt"
    lines = digest_file.read_text(encoding="utf-8").splitlines(keepends=True)
    abstract = next(i for i, line in enumerate(lines) if len(line) > 400)
    lines[abstract] = "We study scaling laws of mixture of experts models and their routing.\n"
    digest_file.write_text("".join(lines), encoding="utf-8")
    check("abstract")
    # Digests moved to other dates, and one removed: day pages, appearances, feeds.
    manifest = project.digests / "digests.yaml"
    text = manifest.read_text(encoding="utf-8")
    text = text.replace("  002_ca25427895eae461.txt:\n    year: 2025", "  002_ca25427895eae461.txt:\n    year: 2024")
    manifest.write_text(text + "  001_c01efbc168af1d01.txt:\n    date: 2025-03-12\n", encoding="utf-8")
    (project.digests / "000_5680ee61c9326170.txt").unlink()
    check("dates and removal")
    days = {path.name for path in (project.docs / "archive").glob("20*.md")}
    assert {"2024-03-14.md", "2025-03-12.md"} <= days and "2025-03-11.md" not in days
    # The site's address (feeds, exports, each paper page's citation).
    monkeypatch.setenv("SITE_URL", "https://example.org/papers/")
    check("site_url")
    assert "https://example.org/papers/" in (project.docs / "feeds" / "papers.xml").read_text(encoding="utf-8")
    # A paper renamed: a new page, the old one gone.
    old_title, new_title = "Initializing Models with Larger Ones", "Initialising Models with Larger Ones"
    digest_file = project.digests / "004_f019b22ff51ba297.txt"
    digest_file.write_text(digest_file.read_text(encoding="utf-8").replace(old_title, new_title), encoding="utf-8")
    # And an enrichment file appears: the paper it knows gets its arXiv id and authors.
    title = "ScaleLong: Towards More Stable Training of Diffusion Model via Scaling Network Long Skip Connection"
    page = project.docs / "papers" / f"{ids_by_title(project)[title]}.md"
    assert "arxiv.org/abs/2503.00001" not in page.read_text(encoding="utf-8")
    found = Found(title=title, details=Details(arxiv_id="2503.00001", authors=("Ada Lovelace",)))
    (project.digests / ENRICHMENT_NAME).write_text(enrichment_text({title_key(title): found}), encoding="utf-8")
    check("rename and enrichment")
    ids = ids_by_title(project)
    assert old_title not in ids and (project.docs / "papers" / f"{ids[new_title]}.md").is_file()
    assert not (project.docs / "papers" / "initializing-models-with-larger-ones.md").exists()
    assert "https://arxiv.org/abs/2503.00001" in page.read_text(encoding="utf-8")


def test_a_generated_page_edited_or_deleted_by_hand_is_regenerated(built: Project) -> None:
    expected = output(built.docs)
    page = built.docs / "papers" / "unraveling-the-mystery-of-scaling-laws-part-i.md"
    page.write_bytes(page.read_bytes().replace(b"Scaling", b"Edited"))
    other = built.docs / "papers" / "initializing-models-with-larger-ones.md"
    other.unlink()
    result = built.generate()
    assert written(result) == 2
    assert output(built.docs) == expected


def test_a_listing_edited_deleted_or_made_a_folder_by_hand_is_regenerated(built: Project) -> None:
    expected = output(built.docs)
    topic = built.docs / "topics" / "scaling-laws" / "index.md"
    topic.write_bytes(topic.read_bytes().replace(b"Scaling", b"Edited"))
    day = sorted((built.docs / "archive").glob("20*.md"))[0]
    day.unlink()
    feed = built.docs / "feeds" / "papers.xml"
    feed.write_bytes(feed.read_bytes() + b"\n")
    result = built.generate()
    assert written(result) == 3
    assert output(built.docs) == expected
    # A folder made by hand where a listing goes may hold a person's files: the build refuses,
    # names it, and changes nothing; once it is moved away, the listing comes back.
    trends = built.docs / "trends.md"
    trends.unlink()
    trends.mkdir()
    (trends / "notes.md").write_text("# Mine\n", encoding="utf-8")
    before = snapshot(built.docs)
    result = built.generate(check=False)
    assert (result.returncode, result.stderr.splitlines()[-1]) == (
        1,
        "Error: site_src/trends.md: is a folder, but the generator needs to write a file there",
    )
    assert snapshot(built.docs) == before
    shutil.rmtree(trends)
    assert written(built.generate()) == 1
    assert output(built.docs) == expected


def test_unchanged_files_are_those_of_the_last_run_with_the_same_bytes(tmp_path: Path) -> None:
    names = ["same.md", "longer.md", "other.md", "folder.md", "missing.md"]
    files = dict.fromkeys(names, "é\n")
    write_site(files, tmp_path, owned=names)
    (tmp_path / "longer.md").write_text("é\n!", encoding="utf-8")
    (tmp_path / "other.md").write_text("e!\n", encoding="utf-8")  # the same size, other bytes
    os.utime(tmp_path / "other.md", ns=(0, 0))  # (a hand edit's time, whatever the clock's resolution)
    (tmp_path / "folder.md").unlink()
    (tmp_path / "folder.md").mkdir()
    (tmp_path / "missing.md").unlink()
    (tmp_path / "unlisted.md").write_text("é\n", encoding="utf-8")  # the same bytes, not written by a build
    sha = digest("é\n".encode())
    assert unchanged(tmp_path, dict.fromkeys([*names, "unlisted.md"], sha)) == {"same.md"}
    assert unchanged(tmp_path, {"same.md": digest(b"other bytes")}) == set()
    (tmp_path / "folder.md").rmdir()
    report = write_site({**files, "unlisted.md": "é\n"}, tmp_path, owned=names)
    assert (report.unchanged, sorted(report.written)) == (1, sorted({*names, "unlisted.md"} - {"same.md"}))


def test_equal_values_give_equal_keys_and_only_they() -> None:
    word = "".join(["sca", "ling"])
    shared = ("scaling",)
    assert key("k", shared, shared) == key("k", shared, (word,))  # a pickler's memo would write a reference
    details = Details(arxiv_id="2401.00001", published=dt.date(2024, 1, 2))
    assert key("k", details) == key("k", Details(arxiv_id="2401.00001", published=dt.date(2024, 1, 2)))
    assert key("k", details) != key("k", replace(details, published=dt.date(2024, 1, 3)))
    assert len({key("k", "a", "b"), key("k", "ab"), key("k", ("a", "b")), key("j", "a", "b")}) == 4


def results(path: Path) -> int:
    """How many results a cache file holds."""
    db = sqlite3.connect(path)
    try:
        return int(db.execute("SELECT count(*) FROM results").fetchone()[0])
    finally:
        db.close()


def damage(path: Path, how: str, real: bytes) -> None:
    """Damage a cache file (`real`: its bytes as a build left them)."""
    if how == "garbage":
        path.write_bytes(b"not a database\n" * 1000)
    elif how == "truncated":
        path.write_bytes(real[: len(real) // 2])
    elif how == "empty":
        path.write_bytes(b"")
    else:
        assert how == "another version"  # with results this version would not compute: used, they break the build
        path.write_bytes(real)
        db = sqlite3.connect(path)
        with db:
            db.execute("UPDATE meta SET value = 'another version' WHERE name = 'version'")
            db.execute("UPDATE results SET value = ?", (pickle.dumps(("poison", [])),))
        db.close()


def test_a_damaged_cache_is_ignored(built: Project) -> None:
    expected = output(built.docs)
    cache = built.root / CACHE
    real = cache.read_bytes()
    for how in ("garbage", "truncated", "empty", "another version"):
        damage(cache, how, real)
        shutil.rmtree(built.docs / "papers")
        result = built.generate(check=False)
        assert result.returncode == 0, (how, result.stderr)
        assert output(built.docs) == expected, how
    # The cache of another version was emptied and filled again; the next build still works.
    assert results(cache) > 0
    assert written(built.generate()) == 0


@pytest.mark.parametrize("how", ["garbage", "truncated"])
def test_a_damaged_cache_is_replaced_by_a_working_one(built: Project, how: str) -> None:
    """A damaged cache is an empty cache: the build fills a new one, so the next build is fast again."""
    cache = built.root / CACHE
    damage(cache, how, cache.read_bytes())
    built.generate()
    assert results(cache) > 0
