"""The build cache: what the slow stages computed, by a hash of exactly what they computed it from.

The pipeline applies it around stages (stages never see it): a digest's parse by its file's
bytes, a paper's analysis by its text and the taxonomy, a page's text by its inputs. Every
entry's key is `key(kind, *values)`, a hash of the whole input value; so an entry can only be
right, and a cache can only make a build faster, never different.

It is one SQLite file, `.cache/cache.sqlite`. A build keeps what it used and drops the rest.
A file that is missing, unreadable, damaged or written by another version of the generator
is an empty cache.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import logging
import pickle
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from generator.errors import captured_warnings, repeat_warnings

log = logging.getLogger("generator")
K = TypeVar("K")
R = TypeVar("R")

CACHE_FILE = "cache.sqlite"
_PACKAGE = Path(__file__).resolve().parent
_BATCH = 500  # keys per SELECT


@functools.cache
def code_version() -> str:
    """A hash of the generator's source and templates: another version computes other results."""
    digest = hashlib.sha256()
    for path in sorted([*_PACKAGE.glob("*.py"), *_PACKAGE.glob("templates/*.j2")]):
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def key(kind: str, *values: Any) -> str:
    """The key of a result of `kind` computed from `values`: strings, numbers, dates, None, and
    tuples, dicts and frozen dataclasses of them (no sets: their order varies between runs).

    Equal values give equal keys whatever their objects (dicts: in the same order): the pickler
    keeps no memo (which would write a second sight of an object as a reference to the first).
    """
    stream = io.BytesIO()
    pickler = pickle.Pickler(stream, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump((kind, values))
    return hashlib.sha1(stream.getvalue()).hexdigest()


class Cache:
    """Results by key, read from the previous build's file and kept for the next one."""

    def __init__(self, folder: Path | None) -> None:
        self._db: sqlite3.Connection | None = None
        self._used: set[str] = set()
        self._new: dict[str, bytes] = {}
        if folder is not None:
            self._db = _open(folder)

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The results the cache holds for these keys (the others are simply absent)."""
        wanted = list(dict.fromkeys(keys))
        self._used.update(wanted)
        found: dict[str, Any] = {}
        if self._db is None:
            return found
        try:
            for start in range(0, len(wanted), _BATCH):
                batch = wanted[start : start + _BATCH]
                marks = ",".join("?" * len(batch))
                rows = self._db.execute(f"SELECT key, value FROM results WHERE key IN ({marks})", batch)
                found.update((row_key, pickle.loads(value)) for row_key, value in rows)
        except sqlite3.DatabaseError as err:  # a damaged cache is never worth failing a build for
            log.info("starting a new cache: the old one cannot be read (%s)", err)
            self._db = _fresh(self._db)
            return {}
        return found

    def put_many(self, results: Mapping[str, Any]) -> None:
        """Keep these results for the next build."""
        self._used.update(results)
        self._new.update(
            (result_key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)) for result_key, value in results.items()
        )

    def map(
        self,
        kind: str,
        inputs: Mapping[K, tuple[Any, ...]],
        function: Callable[..., R],
        depends_on: tuple[Any, ...] = (),
    ) -> dict[K, R]:
        """`function(*inputs[k])` for every k: from the cache where it holds the result for
        those inputs (under `kind`), computed and kept otherwise. `depends_on` is what else the
        function's results depend on, the same for all (a taxonomy, say): it is part of every
        key. The warnings computing a result gave are kept with it, and given again whenever
        it is used."""
        common = key(kind, *depends_on)
        keys = {k: key(common, *values) for k, values in inputs.items()}
        found = self.get_many(keys.values())
        made: dict[str, tuple[R, list[str]]] = {}
        out: dict[K, R] = {}
        for k, values in inputs.items():
            result_key = keys[k]
            hit = found.get(result_key) or made.get(result_key)
            if hit is None:
                with captured_warnings() as messages:
                    hit = made[result_key] = (function(*values), messages)
            repeat_warnings(hit[1])  # the warnings computing it gave, each time it is used
            out[k] = hit[0]
        self.put_many(made)
        return out

    def save(self) -> None:
        """Write what this build made, and drop what it did not use."""
        if self._db is None:
            return
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO results VALUES (?, ?)", self._new.items())
                self._db.execute("CREATE TEMP TABLE used (key TEXT PRIMARY KEY)")
                self._db.executemany("INSERT OR IGNORE INTO used VALUES (?)", ((k,) for k in self._used))
                self._db.execute("DELETE FROM results WHERE key NOT IN (SELECT key FROM used)")
                self._db.execute("DROP TABLE used")
        except sqlite3.Error as err:
            log.info("could not save the cache (%s)", err)

    def close(self) -> None:
        """Let go of the file."""
        if self._db is not None:
            self._db.close()
            self._db = None


@contextlib.contextmanager
def open_cache(folder: Path | None) -> Iterator[Cache]:
    """The cache in `folder` (none: a cache that keeps nothing), saved when the block succeeds."""
    cache = Cache(folder)
    try:
        yield cache
        cache.save()
    finally:
        cache.close()


def _open(folder: Path) -> sqlite3.Connection | None:
    """The cache file, emptied when another version of the generator wrote it and made anew when
    it cannot be read; None if no cache can be kept there."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        gitignore = folder / ".gitignore"
        if not gitignore.exists():
            gitignore.write_text("# The generator's build cache: safe to delete, never commit.\n*\n", encoding="utf-8")
        db = sqlite3.connect(folder / CACHE_FILE)
    except (OSError, sqlite3.Error) as err:
        log.info("%s: no cache (%s)", folder / CACHE_FILE, err)
        return None
    try:
        return _prepared(db)
    except sqlite3.DatabaseError as err:
        log.info("starting a new cache: the old one cannot be read (%s)", err)
        return _fresh(db)


def _prepared(db: sqlite3.Connection) -> sqlite3.Connection:
    """A cache file with its tables, emptied if another version of the generator wrote it."""
    # No waiting for the disk, no journal file: a cache a crash damages is replaced (_fresh).
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA journal_mode = MEMORY")
    db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
    db.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, value BLOB)")
    version = code_version()
    row = db.execute("SELECT value FROM meta WHERE name = 'version'").fetchone()
    if row is None or row[0] != version:
        with db:
            db.execute("DELETE FROM results")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (version,))
    return db


def _fresh(db: sqlite3.Connection | None) -> sqlite3.Connection | None:
    """A new, empty cache file in place of a damaged one; None if that cannot be made."""
    if db is None:
        return None
    path = Path(db.execute("PRAGMA database_list").fetchone()[2])
    db.close()
    try:
        for damaged in (path, path.with_name(path.name + "-journal")):
            damaged.unlink(missing_ok=True)
        return _prepared(sqlite3.connect(path))
    except (OSError, sqlite3.Error) as err:
        log.info("%s: no cache (%s)", path, err)
        return None
