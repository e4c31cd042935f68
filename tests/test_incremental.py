"""Incremental builds: with the cache, the output is byte for byte what a build from scratch makes."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import SAMPLE_FILES, SAMPLES, Project, make_project
from test_build import snapshot

from generator.cache import Memo, text_key


def contents(folder: Path) -> dict[str, bytes]:
    return {name: data for name, (data, _) in snapshot(folder).items()}


def fresh_build(project: Project, root: Path) -> dict[str, bytes]:
    """The same inputs (digests, registry, taxonomy) built from scratch in another folder."""
    other = make_project(root)
    shutil.rmtree(other.digests)
    shutil.copytree(project.digests, other.digests)
    shutil.copy(project.root / "taxonomy.yaml", other.root / "taxonomy.yaml")
    other.generate("--no-cache")
    assert not (other.root / ".cache").exists()
    assert (other.digests / "urls.tsv").read_bytes() == (project.digests / "urls.tsv").read_bytes()
    return contents(other.docs)


def test_adding_a_digest_rewrites_only_what_changed(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    shutil.copy(SAMPLES / "digests.yaml", project.digests)
    late = "003_c33ec5dd97a82db6.txt"  # the newest dated digest (2025-03-17)
    for name in SAMPLE_FILES:
        if name != late:
            shutil.copy(SAMPLES / name, project.digests)
    project.generate()
    assert (project.root / ".cache" / "build.pickle").is_file()
    assert (project.root / ".cache" / "pages.pickle").is_file()
    before = snapshot(project.docs)
    shutil.copy(SAMPLES / late, project.digests)
    result = project.generate()
    after = snapshot(project.docs)
    assert contents(project.docs) == fresh_build(project, tmp_path / "fresh")
    # Files whose bytes did not change were not touched; those that changed were rewritten.
    same = [name for name in before.keys() & after.keys() if before[name][0] == after[name][0]]
    changed = [name for name in before.keys() & after.keys() if before[name][0] != after[name][0]]
    unchanged_papers = [name for name in same if name.startswith("papers/")]
    assert len(unchanged_papers) > 50 and changed
    assert all(before[name][1] == after[name][1] for name in same)
    written = int(result.stdout.split(": ")[1].split(" files written")[0])
    new = len(after.keys() - before.keys())
    assert written == len(changed) + new - (".generated" in changed)


def test_every_kind_of_change_gives_the_full_builds_output(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project", with_samples=True)
    project.generate()
    steps = []

    def check(label: str) -> None:
        project.generate()
        steps.append(label)
        assert contents(project.docs) == fresh_build(project, tmp_path / f"fresh{len(steps)}"), label

    # A topic removed from the taxonomy: tags, topic pages and every paper page that showed it.
    taxonomy = project.root / "taxonomy.yaml"
    text = taxonomy.read_text(encoding="utf-8")
    start = text.index("  - name: Agents")
    end = text.index("  - name:", start + 1)
    taxonomy.write_text(text[:start] + text[end:], encoding="utf-8")
    check("taxonomy")
    # An abstract edited in place: that paper's terms, tags and related papers, and others' lists.
    digest = project.digests / "002_ca25427895eae461.txt"
    lines = digest.read_text(encoding="utf-8").splitlines(keepends=True)
    abstract = next(i for i, line in enumerate(lines) if len(line) > 400)
    lines[abstract] = "We study scaling laws of mixture of experts models and their routing.\n"
    digest.write_text("".join(lines), encoding="utf-8")
    check("abstract")
    # A digest moved to another date, and one removed: day pages, appearances, feeds.
    (project.digests / "digests.yaml").write_text(
        (SAMPLES / "digests.yaml").read_text(encoding="utf-8").replace("2025", "2024", 1), encoding="utf-8"
    )
    (project.digests / "000_5680ee61c9326170.txt").unlink()
    check("dates and removal")


def test_a_generated_page_edited_by_hand_is_regenerated(sample_project: Project) -> None:
    sample_project.generate()
    page = sample_project.docs / "papers" / "unraveling-the-mystery-of-scaling-laws-part-i.md"
    original = page.read_bytes()
    page.write_bytes(original.replace(b"Scaling", b"Edited"))
    result = sample_project.generate()
    assert "1 files written" in result.stdout
    assert page.read_bytes() == original


def test_a_listing_edited_deleted_or_made_a_folder_by_hand_is_regenerated(sample_project: Project) -> None:
    """The second process hands over only the listings whose files differ: it compares bytes."""
    sample_project.generate()
    expected = contents(sample_project.docs)
    topic = sample_project.docs / "topics" / "scaling-laws" / "index.md"
    topic.write_bytes(topic.read_bytes().replace(b"Scaling", b"Edited"))  # same size, other bytes
    day = sorted((sample_project.docs / "archive").glob("20*.md"))[0]
    day.unlink()
    feed = sample_project.docs / "feeds" / "papers.xml"
    feed.write_bytes(feed.read_bytes() + b"\n")
    result = sample_project.generate()
    assert "3 files written" in result.stdout
    assert contents(sample_project.docs) == expected


def test_unchanged_files_are_those_of_the_last_run_with_the_same_bytes(tmp_path: Path) -> None:
    from generator.write import split_unchanged

    (tmp_path / "same.md").write_text("é\n", encoding="utf-8")
    (tmp_path / "longer.md").write_text("é\n!", encoding="utf-8")
    (tmp_path / "other.md").write_text("e\n", encoding="utf-8")
    (tmp_path / "unlisted.md").write_text("é\n", encoding="utf-8")
    (tmp_path / "folder.md").mkdir()
    names = ["same.md", "longer.md", "other.md", "unlisted.md", "folder.md", "missing.md"]
    files = dict.fromkeys(names, "é\n")
    previous = set(names) - {"unlisted.md"}
    files["new.md"] = "ü"
    changed, same = split_unchanged(files, tmp_path, previous)
    assert same == {"same.md"}
    assert changed == {name: text.encode("utf-8") for name, text in files.items() if name != "same.md"}


def test_value_keys_depend_on_values_not_on_objects() -> None:
    import datetime as dt

    from generator.cache import value_key
    from generator.model import Details

    word = "".join(["sca", "ling"])
    shared = ("scaling",)
    assert value_key(shared, shared) == value_key(shared, (word,))  # a memo would write the second as a reference
    details = Details(arxiv_id="2401.00001", published=dt.date(2024, 1, 2))
    assert value_key(details) == value_key(Details(arxiv_id="2401.00001", published=dt.date(2024, 1, 2)))
    assert value_key(details) != value_key(Details(arxiv_id="2401.00001", published=dt.date(2024, 1, 3)))
    assert value_key("a", "b") != value_key("ab") != value_key(("a", "b"))


@pytest.mark.parametrize("damage", [b"not a pickle", b""])
@pytest.mark.parametrize("name", ["build.pickle", "pages.pickle", "memo.log", "listings-memo.log"])
def test_a_damaged_cache_is_ignored(sample_project: Project, damage: bytes, name: str) -> None:
    sample_project.generate()
    expected = contents(sample_project.docs)
    (sample_project.root / ".cache" / name).write_bytes(damage)
    shutil.rmtree(sample_project.docs / "papers")
    sample_project.generate()
    assert contents(sample_project.docs) == expected


def test_each_process_keeps_its_own_memo_log(sample_project: Project) -> None:
    """The first process (paper pages, papers.json) reads only memo.log; the second (listings,
    exports, search) reads and writes listings-memo.log itself, so the first never loads it."""
    from generator.cache import LISTINGS_MEMO_FILE, MEMO_FILE, load_memo

    sample_project.generate()
    folder = sample_project.root / ".cache"
    first, _ = load_memo(folder, MEMO_FILE)
    second, _ = load_memo(folder, LISTINGS_MEMO_FILE)
    kinds = {key.split(":")[0] for key in first}
    assert kinds == {"links", "title", "json"}
    assert {"item", "snippet", "csv", "bib", "entry", "search"} <= {key.split(":")[0] for key in second}
    assert not any(key.startswith(("json:", "links:")) for key in second)
    # A build with nothing new finds all it needs in each log, and leaves both as they are.
    logs = {name: (folder / name).read_bytes() for name in (MEMO_FILE, LISTINGS_MEMO_FILE)}
    sample_project.generate()
    assert {name: (folder / name).read_bytes() for name in logs} == logs


def test_paper_page_key_covers_every_field_of_a_paper() -> None:
    """A field added to Paper must be added to PaperPage.key, or pages would not notice it change."""
    from dataclasses import fields

    from generator.model import Paper
    from generator.render import PAPER_KEY_FIELDS

    assert sorted(f.name for f in fields(Paper)) == sorted(PAPER_KEY_FIELDS)


def _ask_in_child(memo: Memo) -> tuple[list[str], dict[str, object]]:
    mark = memo.mark()
    assert memo.last("state") == "old" and memo.last("missing") is None
    assert memo.get("kept", lambda: 0) == 1
    assert memo.get("before", lambda: 5) == 0  # asked by the parent before the fork
    memo.put("state", "new")
    memo.get("fresh", lambda: 3)
    return memo.report(mark)


def test_what_a_forked_process_asks_of_its_memo_comes_back() -> None:
    """A forked process uses its copy of the memo and hands back what it asked since `mark`: the
    keys the last build left (not their values), and what it made; a value `put` under a key the
    last build had comes back as made."""
    from generator.parallel import in_background

    memo = Memo({"state": "old", "kept": 1, "unasked": 2})
    memo.get("before", lambda: 0)
    known, made = in_background(_ask_in_child, memo)()
    assert known == ["kept"] and made == {"state": "new", "fresh": 3}
    assert memo.used == {"before": 0}  # the child's copy, not this memo
    memo.adopt((known, made))
    assert memo.used == {"before": 0, "kept": 1, "state": "new", "fresh": 3}
    # What the memo log gains: what either process made or put, not what the last build left.
    assert memo.made() == {"before": 0, "state": "new", "fresh": 3}


def test_paper_keys_are_reused_for_equal_papers_only(sample_project: Project) -> None:
    from generator.pipeline import load_archive, paper_keys
    from generator.render import paper_hash

    archive, _ = load_archive(sample_project.digests)
    papers = archive.papers[:20]
    first = paper_keys(papers, {})
    paper = papers[0]
    text = text_key(paper.title, paper.abstract)
    assert first[paper.id][1:] == (text, text_key(text, "\x01"), paper_hash(paper, text))
    edited = replace(paper, abstract=paper.abstract + " Edited.")
    keyed = {**first, paper.id: (edited, "stale", "stale", "stale")}  # an entry for another version of it
    again = paper_keys(papers, keyed)
    assert again == first
    assert all(again[p.id] is keyed[p.id] for p in papers[1:])  # equal papers: the very same entries
    assert paper_keys((edited,), first)[paper.id][1:] == paper_keys((edited,), {})[paper.id][1:] != first[paper.id][1:]


def test_the_memo_log_grows_by_what_a_build_made_and_is_rewritten_when_mostly_stale(tmp_path: Path) -> None:
    from generator.cache import MEMO_FILE, BuildCache, Memo, code_version, load_cache, save_cache

    folder = tmp_path / ".cache"
    log = folder / MEMO_FILE
    memo = Memo()
    for number in range(100):
        memo.get(f"entry:{number}", lambda number=number: "x" * 100 + str(number))
    save_cache(BuildCache(version=code_version(), memo=memo.used), folder, memo)
    whole = log.stat().st_size
    cache = load_cache(folder)
    assert cache.memo == memo.used and cache.memo_log[0] == whole

    # A build that uses part of it and makes one entry only appends that entry.
    memo = Memo(cache.memo)
    for number in range(50):
        memo.get(f"entry:{number}", lambda: "not made again")
    memo.get("new", lambda: "made")
    cache.memo = memo.used
    save_cache(cache, folder, memo)
    assert whole < log.stat().st_size < whole + 200
    cache = load_cache(folder)
    assert cache.memo["new"] == "made" and cache.memo["entry:0"].startswith("x") and len(cache.memo) == 101

    # A torn end (a build stopped while appending): what came before stays, the log is rewritten.
    log.write_bytes(log.read_bytes()[:-3])
    cache = load_cache(folder)
    assert "new" not in cache.memo and len(cache.memo) == 100 and cache.memo_log == (0, 0)
    memo = Memo(cache.memo)
    memo.get("entry:1", lambda: "not made again")
    cache.memo = memo.used
    save_cache(cache, folder, memo)
    assert load_cache(folder).memo == {"entry:1": "x" * 100 + "1"}

    # Appending past 1.5 times the first record writes the log whole, with only what was used.
    cache = load_cache(folder)
    memo = Memo(cache.memo)
    memo.get("big", lambda: "y" * 10_000)
    cache.memo = memo.used
    save_cache(cache, folder, memo)
    assert set(load_cache(folder).memo) == {"big"}
