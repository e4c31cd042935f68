"""Stages in a second process: the same result as in one process, and errors come back."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SAMPLE_FILES, SAMPLES, Project, make_project

from generator import parallel
from generator.errors import GeneratorError
from generator.parallel import Tickets, in_background, serial, steps_in_background


def _fails() -> None:
    raise GeneratorError("no title", "digests/x.json", 3)


def test_results_and_errors_come_back_from_the_child() -> None:
    assert not serial()  # fork is there on Linux, so the child really runs
    parent = os.getpid()
    assert in_background(os.getpid)() != parent
    assert in_background(sorted, [3, 1, 2])() == [1, 2, 3]
    with pytest.raises(GeneratorError) as raised:
        in_background(_fails)()
    assert raised.value.location_message() == "digests/x.json:3: no title"


def _two_steps(marker: Path) -> Iterator[object]:
    yield "x" * 5_000_000  # far more than a pipe holds
    marker.write_text("the child went on", encoding="utf-8")
    yield os.getpid()
    raise GeneratorError("no title", "digests/x.json", 3)


def test_a_child_goes_on_after_its_first_value_before_it_is_asked_for(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    step = steps_in_background(_two_steps, marker, steps=2)
    waited = 0.0
    while not marker.exists() and waited < 60:  # no value has been asked for yet
        time.sleep(0.05)
        waited += 0.05
    assert marker.exists()
    assert step() == "x" * 5_000_000
    assert step() != os.getpid()


@pytest.mark.parametrize("memfd", [True, False], ids=["memfd", "pipe"])
def test_an_error_after_the_asked_values_is_raised_by_the_next_ask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, memfd: bool
) -> None:
    """Values cross through in-memory files where Linux has them, else through the pipe alone."""
    monkeypatch.setattr(parallel, "_MEMFD", memfd)
    step = steps_in_background(_two_steps, tmp_path / "marker", steps=3)
    assert step() == "x" * 5_000_000
    assert step() != os.getpid()
    with pytest.raises(GeneratorError, match="no title"):
        step()


def _take(tickets: Tickets, count: int) -> list[int]:
    return [tickets.take() for _ in range(count)]


def test_tickets_are_handed_out_once_across_processes() -> None:
    tickets = Tickets()
    theirs = in_background(_take, tickets, 500)
    mine = _take(tickets, 500)
    taken = mine + theirs()
    assert sorted(taken) == list(range(1000))  # each number once, none skipped
    assert mine == sorted(mine)


def test_without_shared_memory_only_the_maker_takes_tickets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Then a forked helper finds no task left, and the process that made the tickets does them all."""
    import multiprocessing.context

    def refused(*args: object, **kwargs: object) -> None:
        raise OSError(38, "Function not implemented")

    monkeypatch.setattr(multiprocessing.context.BaseContext, "Value", refused)
    tickets = Tickets()
    assert in_background(_take, tickets, 3)() == [Tickets.NONE_LEFT] * 3
    assert _take(tickets, 3) == [0, 1, 2]


def test_an_idle_child_runs_at_the_lowest_priority() -> None:
    """os.nice(0) gives the priority a process runs at; the parent's is left as it was."""
    before = os.nice(0)
    assert in_background(os.nice, 0, idle=True)() == 19
    assert in_background(os.nice, 0)() == before == os.nice(0)


def test_paper_pages_are_the_same_whichever_process_renders_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build renders paper pages a chunk at a time here and in an idle third process."""
    from conftest import REPO, SAMPLES

    from generator import pipeline
    from generator.archive import with_topics
    from generator.cache import Memo
    from generator.model import Site
    from generator.related import find_related
    from generator.render import paper_hash
    from generator.tags import assign_tags, load_taxonomy

    archive, _ = pipeline.load_archive(SAMPLES)
    taxonomy = load_taxonomy(REPO / "taxonomy.yaml")
    tags = assign_tags(archive.papers, taxonomy)
    archive = with_topics(archive, taxonomy.topics(), tags, find_related(archive.papers))
    owns = {p.id: paper_hash(p) for p in archive.papers}
    site = Site(url="https://example.org/archive/")

    def work(tickets: Tickets, forked: bool) -> pipeline.PaperWork:
        return pipeline._paper_work(archive, site, owns, tickets, {}, str(tmp_path), set(), Memo(), forked)

    alone = work(Tickets(), False)
    assert len(alone.pages) == len(archive.papers) == len(alone.keys) and alone.asked is None
    helped = in_background(work, Tickets(), True, idle=True)()  # the helper takes every chunk
    assert (helped.pages, helped.keys) == (alone.pages, alone.keys)
    assert helped.asked is not None and helped.asked[1]  # the titles it marked up come back

    monkeypatch.setattr(pipeline, "PAPER_CHUNK", 1)  # one page at a time, both processes at once
    tickets = Tickets()
    helper = in_background(work, tickets, True, idle=True)
    mine = work(tickets, False)
    theirs = helper()
    assert not mine.pages.keys() & theirs.pages.keys()
    assert {**mine.pages, **theirs.pages} == alone.pages and {**mine.keys, **theirs.keys} == alone.keys


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_two_processes_build_what_one_builds(tmp_path: Path, sample_project: Project) -> None:
    sample_project.generate("--no-cache")
    serial_project = make_project(tmp_path / "serial", with_samples=True)
    from sandbox import command_env

    env = dict(command_env(), PAPERS_ARCHIVE_SERIAL="1")
    subprocess.run(
        [sys.executable, "-m", "generator", "build", "--no-cache"], cwd=serial_project.root, env=env, check=True
    )
    assert files(sample_project.docs) == files(serial_project.docs)


def test_one_process_rebuilds_with_the_cache_what_two_build(tmp_path: Path) -> None:
    """In one process, the stage that makes the listings reads and saves its memo log there."""
    from sandbox import command_env

    late = SAMPLE_FILES[-1]
    outputs = []
    for name, extra in [("two", {}), ("one", {"PAPERS_ARCHIVE_SERIAL": "1"})]:
        project = make_project(tmp_path / name)
        shutil.copy(SAMPLES / "digests.yaml", project.digests)
        for sample in SAMPLE_FILES[:-1]:
            shutil.copy(SAMPLES / sample, project.digests)
        run = functools.partial(
            subprocess.run,
            [sys.executable, "-m", "generator", "build"],
            cwd=project.root,
            env=dict(command_env(), **extra),
            check=True,
        )
        run()
        shutil.copy(SAMPLES / late, project.digests)
        run()
        assert (project.root / ".cache" / "listings-memo.log").stat().st_size > 0
        outputs.append(files(project.docs))
    assert outputs[0] == outputs[1]


def _raise_on_load() -> None:
    raise ValueError("cannot be read")


class _Unreadable:
    def __reduce__(self) -> tuple[object, tuple[()]]:
        return (_raise_on_load, ())


def _unreadable() -> Iterator[object]:
    yield _Unreadable()


@pytest.mark.parametrize("memfd", [True, False], ids=["memfd", "pipe"])
def test_a_value_that_cannot_be_read_is_raised_not_waited_for(monkeypatch: pytest.MonkeyPatch, memfd: bool) -> None:
    monkeypatch.setattr(parallel, "_MEMFD", memfd)
    step = steps_in_background(_unreadable, steps=1)
    with pytest.raises(ValueError, match="cannot be read"):
        step()
