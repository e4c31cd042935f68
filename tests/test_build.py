"""The build as a user runs it: messages, exit codes, determinism, stable URLs, safe writes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import SAMPLE_FILES, SAMPLES, Project, make_project

from generator.write import MANIFEST, read_manifest


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under a folder with its bytes and modification time."""
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def generated_files(project: Project) -> list[str]:
    """The files the generator says it wrote."""
    return list(read_manifest(project.docs))


def pages(folder: Path) -> dict[str, bytes]:
    """Every file under a docs folder with its bytes, but the manifest (which records times)."""
    return {name: data for name, (data, _) in snapshot(folder).items() if name != MANIFEST}


def ids_by_title(project: Project) -> dict[str, str]:
    data = json.loads((project.docs / "papers.json").read_text(encoding="utf-8"))
    return {p["title"]: p["id"] for p in data["papers"]}


def test_build_reports_what_it_did(sample_project: Project) -> None:
    result = sample_project.generate()
    written = len(generated_files(sample_project))
    assert result.stdout.startswith(f"535 papers from 5 digests: {written} files written, 0 unchanged, 0 removed, in ")
    assert "Traceback" not in result.stderr
    # The undated digests are named in one-line warnings.
    warnings = result.stderr.splitlines()
    assert any(w.startswith("Warning: digests/001_c01efbc168af1d01.txt: no date") for w in warnings)
    assert any(w.startswith("Warning: digests/004_f019b22ff51ba297.txt: no date") for w in warnings)


def test_two_runs_give_byte_identical_output(tmp_path: Path) -> None:
    first = make_project(tmp_path / "a", with_samples=True)
    second = make_project(tmp_path / "b", with_samples=True)
    first.generate()
    second.generate()
    assert pages(first.docs) == pages(second.docs)
    assert generated_files(first) == generated_files(second)
    before = snapshot(first.docs)
    result = first.generate()
    assert f"0 files written, {len(generated_files(first))} unchanged, 0 removed" in result.stdout
    assert snapshot(first.docs) == before  # bytes and modification times


def test_urls_stay_when_digests_are_added(project: Project) -> None:
    shutil.copy(SAMPLES / "digests.yaml", project.digests)
    shutil.copy(SAMPLES / SAMPLE_FILES[0], project.digests)
    project.generate()
    before = ids_by_title(project)
    for name in SAMPLE_FILES[1:]:
        shutil.copy(SAMPLES / name, project.digests)
    # A newcomer whose title slugifies like an existing paper's must not take its URL.
    first_title = sorted(before)[0]
    project.write_digest("2025-03-20.txt", f"{first_title.upper()}!!\nA different paper with a colliding slug.\n")
    project.generate()
    after = ids_by_title(project)
    assert {t: after[t] for t in before} == before
    assert after[f"{first_title.upper()}!!"] != before[first_title]
    assert len(after) == 536


def test_ids_do_not_depend_on_file_order(tmp_path: Path) -> None:
    """The same digests under other names (so read in another order) give the same ids."""
    plain = make_project(tmp_path / "plain", with_samples=True)
    plain.generate()
    renamed = make_project(tmp_path / "renamed")
    for index, name in enumerate(reversed(SAMPLE_FILES)):
        shutil.copy(SAMPLES / name, renamed.digests / f"{index}_{name}")
    renamed.generate()
    assert ids_by_title(plain) == ids_by_title(renamed)


def test_removed_paper_leaves_no_stale_page_and_hand_written_pages_stay(project: Project) -> None:
    project.write_digest("2025-01-01.txt", "Kept Paper\nAbstract one.\nGone Paper\nAbstract two.\n")
    (project.docs / "archive").mkdir(parents=True)
    notes = project.docs / "archive" / "notes.md"
    notes.write_text("# My notes\n", encoding="utf-8")
    about_before = (project.docs / "about.md").read_bytes()
    project.generate()
    assert (project.docs / "papers" / "gone-paper.md").is_file()
    before = {p.relative_to(project.docs).as_posix() for p in project.docs.rglob("*") if p.is_file()}
    project.write_digest("2025-01-01.txt", "Kept Paper\nAbstract one.\n")
    result = project.generate()
    after = {p.relative_to(project.docs).as_posix() for p in project.docs.rglob("*") if p.is_file()}
    # The page, and the search shards of words only the gone paper had ("gone", "two").
    gone = {"papers/gone-paper.md", "search-index/terms/go.json", "search-index/terms/tw.json"}
    assert before - after == gone
    assert f"{len(gone)} removed" in result.stdout
    assert not (project.docs / "papers" / "gone-paper.md").exists()
    assert (project.docs / "papers" / "kept-paper.md").is_file()
    assert notes.read_text(encoding="utf-8") == "# My notes\n"
    assert (project.docs / "about.md").read_bytes() == about_before
    # The URL stays reserved: if the paper comes back, it gets its old page back.
    assert "gone-paper\tgone paper" in (project.digests / "urls.tsv").read_text(encoding="utf-8")


def test_bad_digest_is_one_line_and_leaves_previous_output_intact(sample_project: Project) -> None:
    sample_project.generate()
    before = snapshot(sample_project.docs)
    registry = (sample_project.digests / "urls.tsv").read_bytes()
    sample_project.write_digest("2025-03-18.txt", "Subscribe\n\nA title\n\nIts abstract.\n\nOrphan title\n")
    result = sample_project.generate(check=False)
    assert result.returncode == 1
    assert result.stderr == (
        "Error: digests/2025-03-18.txt:7: title without abstract (titles and abstracts must alternate)\n"
    )
    assert snapshot(sample_project.docs) == before
    assert (sample_project.digests / "urls.tsv").read_bytes() == registry


def test_hand_written_file_in_the_way_is_never_overwritten(project: Project) -> None:
    project.write_digest("2025-01-01.txt", "Title\nAbstract.\n")
    home = project.docs / "index.md"
    home.write_text("# My own home page\n", encoding="utf-8")
    result = project.generate(check=False)
    assert result.returncode == 1
    assert result.stderr == (
        "Error: site_src/index.md: exists and was not written by the generator; move it away "
        "(the generator never overwrites hand-written pages)\n"
    )
    assert home.read_text(encoding="utf-8") == "# My own home page\n"
    assert not (project.docs / "papers").exists()


def test_bad_manifest_and_registry_messages(project: Project) -> None:
    project.write_digest("x.txt", "Title\nAbstract.\n")
    (project.digests / "digests.yaml").write_text("digests:\n  x.txt:\n    date: 2025-13-01\n", encoding="utf-8")
    result = project.generate(check=False)
    assert result.returncode == 1
    assert (
        result.stderr
        == "Error: digests/digests.yaml:3: date must be a real date written YYYY-MM-DD, got '2025-13-01'\n"
    )
    (project.digests / "digests.yaml").unlink()
    (project.digests / "urls.tsv").write_text("a\tone\na\ttwo\n", encoding="utf-8")
    result = project.generate(check=False)
    assert result.stderr.splitlines()[-1] == "Error: digests/urls.tsv:2: URL 'a' is given to two different titles"


def test_missing_digests_folder(project: Project) -> None:
    result = project.generate("--digests", "nowhere", check=False)
    assert (result.returncode, result.stderr) == (1, "Error: nowhere: digests folder not found\n")


def test_strict_turns_warnings_into_failure(project: Project) -> None:
    project.write_digest("undated.txt", "Title\nAbstract.\n")
    result = project.generate("--strict", check=False)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Warning: digests/undated.txt: no date (no manifest entry, no ISO date in the name, no date line); "
        "listed as undated",
        "Error: 1 warning(s) and --strict was given",
    ]


def test_custom_folders(project: Project) -> None:
    project.write_digest("2025-01-01.txt", "Title\nAbstract.\n")
    shutil.move(project.digests, project.root / "inbox")
    project.generate("--digests", "inbox", "--docs", "out")
    assert (project.root / "out" / "papers" / "title.md").is_file()
    assert (project.root / "inbox" / "urls.tsv").is_file()
