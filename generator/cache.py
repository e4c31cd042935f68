"""The build cache: what the slow stages worked out for each input, kept between runs in `.cache/`.

A cache can only make a build faster, never different: every entry is keyed by a hash of
exactly the input it was computed from (a digest file's bytes, a paper's title and abstract
with the taxonomy's text, a page's inputs), and the whole cache is dropped when the
generator's own code changes. A cache that is missing, unreadable or from another version is
an empty cache. It is written only after the site has been written, and lives outside the
docs folder (it is not part of the site).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import logging
import os
import pickle
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from generator.model import Digest

log = logging.getLogger("generator")
T = TypeVar("T")

CACHE_DIR = ".cache"
CACHE_FILE = "build.pickle"
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


class Memo:
    """Results of pure functions by a key naming the function and hashing its input.

    Reads what an earlier build computed and keeps, for the next build, only what this build
    asked for. Without an earlier build it is a plain memo for this one.
    """

    def __init__(self, previous: dict[str, Any] | None = None) -> None:
        self.previous = previous or {}
        self.used: dict[str, Any] = {}

    def get(self, key: str, make: Callable[[], T]) -> T:
        """The value for `key`: this build's, an earlier build's, or made now."""
        if key in self.used:
            return self.used[key]  # type: ignore[no-any-return]
        value = self.previous[key] if key in self.previous else make()
        self.used[key] = value
        return value


@dataclass
class BuildCache:
    """Results of earlier runs, by input. Mutable: stages add what they compute."""

    version: str = ""
    # name -> (bytes hash, parsed, warnings the parse gave)
    digests: dict[str, tuple[str, Digest, tuple[str, ...]]] = field(default_factory=dict)
    tags: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)  # taxonomy hash -> text key -> tags
    terms: Any = None  # related.TermStore: each paper's terms, by text key
    pages: dict[str, tuple[str, int, int]] = field(default_factory=dict)  # path -> (inputs key, size, mtime)
    memo: dict[str, Any] = field(default_factory=dict)  # Memo.used: links, markup, export lines


def load_cache(folder: Path | None) -> BuildCache:
    """The cache in `folder`, or an empty one (no folder, no file, unreadable, another version)."""
    version = code_version()
    if folder is None:
        return BuildCache(version=version)
    path = folder / CACHE_FILE
    try:
        with path.open("rb") as stream, _no_gc():
            cache = pickle.load(stream)
    except FileNotFoundError:
        return BuildCache(version=version)
    except Exception as err:  # a cache is never worth failing a build for
        log.info("%s: ignoring an unreadable cache (%s)", path, err)
        return BuildCache(version=version)
    if not isinstance(cache, BuildCache) or cache.version != version:
        return BuildCache(version=version)
    return cache


def save_cache(cache: BuildCache, folder: Path | None) -> None:
    """Write the cache atomically (a crash leaves the old one or the new one, never half of one)."""
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    gitignore = folder / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("# The generator's build cache: safe to delete, never commit.\n*\n", encoding="utf-8")
    with _no_gc():
        data = pickle.dumps(cache, protocol=pickle.HIGHEST_PROTOCOL)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{CACHE_FILE}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, folder / CACHE_FILE)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


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
