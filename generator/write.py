"""The only stage that writes: sync rendered pages into the docs folder, safely.

Everything is rendered before this runs, so bad input never gets here. Here:
- a file the generator did not write before is never overwritten or deleted (hand-written pages),
- each file is written only when its bytes change (mtimes of unchanged files stay), in place,
  after reserving the space it needs (a full disk fails before a byte changes),
- files written by the previous run and no longer produced are removed, then empty folders,
- the list of generated files is kept in `.generated` in the docs folder (MkDocs ignores dotfiles).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from generator.errors import GeneratorError

MANIFEST = ".generated"
PAGE_MARKER = b"<!-- Generated from the digests by `python -m generator build`; edits here are overwritten. -->"
MANIFEST_HEADER = "# Files written by `python -m generator build`; it deletes only these.\n"


@dataclass(frozen=True)
class WriteReport:
    """What a sync changed."""

    written: tuple[str, ...]
    unchanged: int
    removed: tuple[str, ...]


def read_manifest(docs: Path) -> set[str]:
    """The files the previous run wrote."""
    path = docs / MANIFEST
    if not path.is_file():
        return set()
    lines = path.read_text(encoding="utf-8").splitlines()
    return {line for line in lines if line and not line.startswith("#")}


def check_paths(files: Collection[str]) -> None:
    """Refuse any output path that could escape the docs folder."""
    for name in files:
        path = PurePosixPath(name)
        if path.is_absolute() or ".." in path.parts or name != path.as_posix() or name == MANIFEST:
            raise GeneratorError(f"refusing to write outside the docs folder: {name!r}")


def write_site(files: Mapping[str, str | bytes], docs: Path, kept: Collection[str] = frozenset()) -> WriteReport:
    """Bring the docs folder in line with `files` (text, or its UTF-8 bytes), touching only what
    the generator owns.

    `kept` are files the previous run wrote that are still wanted as they are (an incremental
    build knows they would come out the same): they stay, unread and untouched.
    """
    check_paths(files)
    previous = read_manifest(docs)
    kept = {name for name in kept if name in previous and name not in files}
    encoded = {name: text if isinstance(text, bytes) else text.encode("utf-8") for name, text in files.items()}
    root = str(docs)
    # First check everything, so a refusal leaves the folder exactly as it was.
    for name in sorted(encoded):
        target = os.path.join(root, name)
        try:
            found = os.stat(target)
        except (FileNotFoundError, NotADirectoryError):
            continue
        if stat.S_ISDIR(found.st_mode):
            raise GeneratorError(f"{target}: is a folder, but the generator needs to write a file there")
        if name not in previous and not _looks_generated(Path(target), encoded[name]):
            raise GeneratorError(
                f"{target}: exists and was not written by the generator; move it away "
                "(the generator never overwrites hand-written pages)"
            )
    docs.mkdir(parents=True, exist_ok=True)
    folders: set[str] = set()  # folders known to exist
    written = []
    for name in sorted(encoded):
        if _write_if_changed(os.path.join(root, name), encoded[name], folders):
            written.append(name)
    removed = []
    for name in sorted(previous - set(encoded) - kept):
        gone = docs / name
        if gone.is_file():
            gone.unlink()
            removed.append(name)
            _remove_empty_parents(gone.parent, docs)
    manifest = MANIFEST_HEADER + "".join(f"{name}\n" for name in sorted(set(encoded) | kept))
    write_if_changed(docs / MANIFEST, manifest.encode("utf-8"))
    return WriteReport(
        written=tuple(written), unchanged=len(encoded) - len(written) + len(kept), removed=tuple(removed)
    )


def split_unchanged(files: dict[str, str], docs: Path, previous: Collection[str]) -> tuple[dict[str, bytes], set[str]]:
    """The files whose bytes differ from what the previous run wrote (`previous`), encoded, and
    the names of the others: files the previous run wrote that already hold exactly these bytes.

    An incremental build's second process calls it on the pages it made: most listings come out
    as they were, and need not cross to the process that writes (write_site takes them as
    `kept`); the others cross as bytes, which write_site takes as they are (unpickling and
    encoding 130 MB of text took 0.3 s in that process, bytes 0.05 s).
    """
    changed: dict[str, bytes] = {}
    same = set()
    root = str(docs)
    for name, text in files.items():
        data = text.encode("utf-8")
        if name in previous:
            try:
                with open(os.path.join(root, name), "rb") as stream:  # a folder raises: not the same
                    if os.fstat(stream.fileno()).st_size == len(data) and stream.read() == data:
                        same.add(name)
                        continue
            except OSError:
                pass
        changed[name] = data
    return changed, same


def _looks_generated(path: Path, data: bytes) -> bool:
    """An unlisted file is ours if it is identical or carries the generator's page marker."""
    existing = path.read_bytes()
    return existing == data or existing.rstrip().endswith(PAGE_MARKER)


def write_if_changed(path: Path, data: bytes) -> bool:
    """Atomically replace a file's bytes unless they are already equal; True if written.

    For the few files that must never be half written (the URL registry, the list of
    generated files): a crash leaves the old file or the new one.
    """
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        raise GeneratorError(f"{path}: is a folder, but the generator needs to write a file there") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path, data)
    return True


def replace_file(path: Path, data: bytes) -> None:
    """Replace a file atomically through a temporary file beside it (dotfiles are ignored by MkDocs)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        _create(temporary, data, os.O_TRUNC)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _create(path: str | Path, data: bytes, flags: int) -> None:
    """Write a file opened with os.O_CREAT and `flags`, readable by all whatever the umask (as
    MkDocs and Pages expect)."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | flags, 0o644)
    with os.fdopen(handle, "wb") as stream:
        os.fchmod(handle, 0o644)
        stream.write(data)


def _write_if_changed(path: str, data: bytes, folders: set[str]) -> bool:
    """Write a page's bytes unless they are already equal; True if written. `path` is text;
    `folders` are folders known to exist, and grows.

    A file that is there is overwritten in place, after the space for its new bytes is
    reserved: a full disk then fails before anything changes. Replacing it through a renamed
    temporary file instead makes ext4 write each one out at once (its guard for renames over
    a file), ten times slower for the thousands of files a new digest changes.
    """
    try:
        stream = open(path, "r+b")  # noqa: SIM115 (closed below, on both paths)
    except FileNotFoundError:
        folder = os.path.dirname(path)
        if folder not in folders:
            os.makedirs(folder, exist_ok=True)
            folders.add(folder)
        _create(path, data, os.O_EXCL)
        return True
    except IsADirectoryError:
        raise GeneratorError(f"{path}: is a folder, but the generator needs to write a file there") from None
    with stream:
        if stream.read() == data:
            return False
        if hasattr(os, "posix_fallocate") and len(data) > stream.tell():
            os.posix_fallocate(stream.fileno(), 0, len(data))
        stream.seek(0)
        stream.write(data)
        stream.truncate()
    return True


def _remove_empty_parents(folder: Path, root: Path) -> None:
    """Remove folders left empty by a deletion, up to (not including) the docs folder."""
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
