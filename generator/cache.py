"""The build cache: what the slow stages worked out for each input, kept between runs in `.cache/`.

A cache can only make a build faster, never different: every entry is keyed by a hash of
exactly the input it was computed from (a digest file's bytes, a paper's title and abstract
with the taxonomy's text, a page's inputs), and the whole cache is dropped when the
generator's own code changes. A cache that is missing, unreadable or from another version is
an empty cache. It lives outside the docs folder (it is not part of the site), in four files:
build.pickle (digests, papers, tags, terms), written while the site is being written; two memo
logs, to which each build appends what it made and which are written whole only when they hold
too much that is no longer used: memo.log (links, titles and papers.json lines, for the paper
pages) and listings-memo.log (titles, snippets, list items, export lines, feed entries, search
weights and lists, for the second process that makes the listings, which reads and writes it
itself); and pages.pickle, the list of pages as written (each with its inputs' key, size and
modification time), written after them.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import io
import itertools
import logging
import os
import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from generator.model import Digest
from generator.write import replace_file

log = logging.getLogger("generator")
T = TypeVar("T")

CACHE_DIR = ".cache"
CACHE_FILE = "build.pickle"
PAGES_FILE = "pages.pickle"  # the page list: written last, after the pages themselves
MEMO_FILE = "memo.log"  # the memo's entries: pickled records, appended to
LISTINGS_MEMO_FILE = "listings-memo.log"  # the same, for the process that makes the listings
MEMO_HEADER = "papers-archive memo log"
_PACKAGE = Path(__file__).resolve().parent


@functools.cache
def code_version() -> str:
    """A hash of the generator's source and templates: another version computes other results.

    Taken once per process, as the code it describes is the code that was loaded.
    """
    digest = hashlib.sha256()
    for path in sorted([*_PACKAGE.glob("*.py"), *_PACKAGE.glob("templates/*.j2")]):
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def text_key(*parts: str) -> str:
    """A key for cached results computed from these texts."""
    digest = hashlib.sha1()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


def value_key(*parts: Any) -> str:
    """A key for cached results computed from these values: strings, numbers, dates, None, and
    tuples and frozen dataclasses of them (no sets: their order varies between runs).

    Equal values give equal keys whatever their objects: the pickler keeps no memo, so a value
    met twice is written twice (a memo would write a reference instead, depending on identity).
    Three times faster than hashing their repr.
    """
    stream = io.BytesIO()
    pickler = pickle.Pickler(stream, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True  # no memo
    pickler.dump(parts)
    return hashlib.sha1(stream.getvalue()).hexdigest()


class Memo:
    """Results of pure functions by a key naming the function and hashing its input.

    Reads what an earlier build computed and keeps, for the next build, only what this build
    asked for. Without an earlier build it is a plain memo for this one.
    """

    def __init__(self, previous: dict[str, Any] | None = None) -> None:
        self.previous = previous or {}
        self.used: dict[str, Any] = {}
        self._put: set[str] = set()  # keys given a new value by `put`
        self._made: dict[str, None] = {}  # keys this build made or put a value for, in order: see `made`

    def get(self, key: str, make: Callable[[], T]) -> T:
        """The value for `key`: this build's, an earlier build's, or made now."""
        if key in self.used:
            return self.used[key]  # type: ignore[no-any-return]
        value: T
        if key in self.previous:
            value = self.previous[key]
        else:
            value = make()
            self._made[key] = None
        self.used[key] = value
        return value

    def last(self, key: str) -> Any:
        """What an earlier build left under `key` for this one (see `put`), or None."""
        return self.previous.get(key)

    def put(self, key: str, value: Any) -> None:
        """Leave `value` under `key` for the next build: a state to build on, not a function's
        result, so whoever reads it with `last` must check it still fits its input."""
        self.used[key] = value
        self._put.add(key)
        self._made[key] = None

    def mark(self) -> int:
        """Where this memo stands (how many entries were asked of it), for `report`."""
        return len(self.used)

    def report(self, mark: int) -> tuple[list[str], dict[str, Any]]:
        """What was asked of this memo since `mark`: the keys an earlier build left, and what it
        made or put; for a forked process to hand back to its parent's memo (`adopt`).

        The process uses its copy of the parent's memo as it is: copying the entries would write
        to the memory page of each (reference counts), and so copy hundreds of MB the two
        processes share until then.
        """
        new = list(itertools.islice(self.used, mark, None))
        known = [key for key in new if key not in self._made]
        made = {key: self.used[key] for key in new if key in self._made}
        made.update((key, self.used[key]) for key in self._put)  # a put may change an entry asked before `mark`
        return known, made

    def adopt(self, report: tuple[list[str], dict[str, Any]]) -> None:
        """Count what a forked process asked of its copy of this memo (`report`) as asked of this one."""
        known, made = report
        for key in known:
            if key not in self.used:
                self.used[key] = self.previous[key]
        self.used.update(made)
        self._put.update(key for key in made if key in self.previous)
        self._made.update(dict.fromkeys(made))

    def made(self) -> dict[str, Any]:
        """What this build made or put: the entries an earlier build did not leave as they are.

        Kept as they come rather than found among all entries: in the process that saves the
        cache, a pass over all of them would touch (and copy) every memory page they share
        with the build.
        """
        return {key: self.used[key] for key in self._made}


class _Captured(logging.Handler):
    """Keeps the messages of the warnings logged while it is attached."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def captured_warnings() -> Iterator[list[str]]:
    """The messages of the warnings logged inside the block, as they come: work whose result is
    cached keeps them, so that reusing the result can give them again (`repeat_warnings`)."""
    captured = _Captured()
    log.addHandler(captured)
    try:
        yield captured.messages
    finally:
        log.removeHandler(captured)


def repeat_warnings(messages: tuple[str, ...]) -> None:
    """Give again the warnings that cached work gave when it was done (`captured_warnings`)."""
    for message in messages:
        log.warning("%s", message)


@dataclass
class BuildCache:
    """Results of earlier runs, by input. Mutable: stages add what they compute."""

    version: str = ""
    # name -> (bytes hash, parsed, warnings the parse gave)
    digests: dict[str, tuple[str, Digest, tuple[str, ...]]] = field(default_factory=dict)
    tags: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)  # taxonomy hash -> text key -> tags
    terms: Any = None  # related.TermStore: each paper's terms, by text key
    pages: dict[str, tuple[str, int, int]] = field(default_factory=dict)  # path -> (inputs key, size, mtime)
    memo: dict[str, Any] = field(default_factory=dict)  # Memo.used: links, titles, papers.json lines
    # archive.KnownPapers.papers: each paper as built, with its warnings, by a key of its inputs
    papers: dict[str, tuple[Any, tuple[str, ...]]] = field(default_factory=dict)
    # pipeline.paper_keys: by paper id, the paper (as built) and the keys of its inputs
    keys: dict[str, tuple[Any, str, str, str]] = field(default_factory=dict)
    # memo.log as read: its size, and where its first (whole) record ended; 0 if it must be
    # written whole next time (missing, damaged, another version).
    memo_log: tuple[int, int] = (0, 0)


def load_cache(folder: Path | None) -> BuildCache:
    """The cache in `folder`, or an empty one (no folder, no file, unreadable, another version)."""
    version = code_version()
    empty = BuildCache(version=version)
    if folder is None:
        return empty
    cache = _load(folder / CACHE_FILE)
    if not isinstance(cache, BuildCache) or cache.version != version:
        return empty
    pages = _load(folder / PAGES_FILE)
    if isinstance(pages, tuple) and len(pages) == 2 and pages[0] == version and isinstance(pages[1], dict):
        cache.pages = pages[1]
    cache.memo, cache.memo_log = load_memo(folder, MEMO_FILE)
    return cache


def load_memo(folder: Path | None, name: str) -> tuple[dict[str, Any], tuple[int, int]]:
    """The entries of the memo log `name` in `folder`, and its state for save_memo; none if it
    is missing, unreadable or from another version of the code."""
    if folder is None:
        return {}, (0, 0)
    return _load_memo(folder / name, code_version())


def save_memo(folder: Path | None, name: str, memo: Memo, state: tuple[int, int]) -> None:
    """Keep what `memo` was asked for in the memo log `name` in `folder` (read with `state`, as
    load_memo gave it): as save_cache does with memo.log."""
    if folder is None:
        return
    _make_folder(folder)
    _save_memo(folder / name, code_version(), memo.used, memo, state)


def _make_folder(folder: Path) -> None:
    """The cache folder, with a .gitignore that keeps it out of the repository."""
    folder.mkdir(parents=True, exist_ok=True)
    gitignore = folder / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("# The generator's build cache: safe to delete, never commit.\n*\n", encoding="utf-8")


def _load_memo(path: Path, version: str) -> tuple[dict[str, Any], tuple[int, int]]:
    """The memo log's entries (later records win), its size and where its first record ended.

    A damaged tail (a build stopped while appending) ends the reading: what came before it is
    kept, and the log is written whole next time.
    """
    memo: dict[str, Any] = {}
    try:
        stream = path.open("rb")  # read as it is unpickled: reading it all first takes a third longer
    except OSError:
        return memo, (0, 0)
    first = 0
    with stream:
        size = os.fstat(stream.fileno()).st_size
        try:
            with _no_gc():
                if pickle.load(stream) != (MEMO_HEADER, version):
                    return memo, (0, 0)
                while stream.tell() < size:
                    memo.update(pickle.load(stream))
                    first = first or stream.tell()
        except Exception as err:  # a cache is never worth failing a build for
            log.info("%s: ignoring the unreadable end of a cache (%s)", path, err)
            return memo, (0, 0)
    return memo, (size, first)


def _load(path: Path) -> Any:
    """A pickled object, or None when the file is missing or unreadable."""
    try:
        with path.open("rb") as stream, _no_gc():
            return pickle.load(stream)
    except FileNotFoundError:
        return None
    except Exception as err:  # a cache is never worth failing a build for
        log.info("%s: ignoring an unreadable cache (%s)", path, err)
        return None


def save_cache(cache: BuildCache, folder: Path | None, memo: Memo | None = None) -> None:
    """Write the cache except its page list (save_pages): build.pickle atomically, then the memo
    log (`memo` is the build's Memo, whose entries are `cache.memo`).

    It can be written while the site is written: every entry is keyed by the exact input it was
    computed from, so it is right whatever becomes of this build's pages.
    """
    if folder is None:
        return
    _make_folder(folder)
    with _no_gc():
        data = pickle.dumps(replace(cache, pages={}, memo={}), protocol=pickle.HIGHEST_PROTOCOL)
    replace_file(folder / CACHE_FILE, data)
    _save_memo(folder / MEMO_FILE, cache.version, cache.memo, memo, cache.memo_log)


def _save_memo(path: Path, version: str, whole: dict[str, Any], memo: Memo | None, state: tuple[int, int]) -> None:
    """Add what this build made (`memo`) to the memo log, or write the log whole (`whole`: the
    entries this build used) when it was not read whole (`state`, as _load_memo gave it) or when
    it would pass 1.5 times its first record.

    The memo is most of the cache, and most of it stays as it is from one build to the next:
    appending only the new entries spares rewriting hundreds of MB after each new digest.
    """
    size, first = state
    with _no_gc():
        if memo is not None and first and _size(path) == size:
            made = memo.made()
            if not made:  # nothing new: the log stays as it is
                return
            record = pickle.dumps(made, protocol=pickle.HIGHEST_PROTOCOL)
            if 2 * (size + len(record)) <= 3 * first:
                with path.open("ab") as stream:  # a torn end is noticed when read (_load_memo)
                    stream.write(record)
                return
        header = pickle.dumps((MEMO_HEADER, version), protocol=pickle.HIGHEST_PROTOCOL)
        replace_file(path, header + pickle.dumps(whole, protocol=pickle.HIGHEST_PROTOCOL))


def _size(path: Path) -> int:
    """A file's size, or -1 if it is not there."""
    try:
        return path.stat().st_size
    except OSError:
        return -1


def save_pages(cache: BuildCache, folder: Path | None) -> None:
    """Write the cache's page list: only once the pages it describes are written."""
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    replace_file(folder / PAGES_FILE, pickle.dumps((cache.version, cache.pages), protocol=pickle.HIGHEST_PROTOCOL))


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cycle collector: (un)pickling makes many objects and no cycles, and it would run often."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
