"""The only stage that writes into the docs folder: bring it in line with the rendered pages, safely.

Everything is rendered before this runs, so bad input never gets here. Here:

- a file the generator did not write is never overwritten or deleted (hand-written pages);
  what it wrote is listed in `.generated` (MkDocs ignores dotfiles), each file with a hash of
  the bytes it wrote and the size and modification time it left;
- a file is written only when its bytes change, so unchanged files keep their times;
- the change is a transaction. The new files are first written beside their targets as hidden
  temporary files (`.name.new`), with a journal (`.generated.journal`) saying so: a build that
  fails or is killed then leaves the previous files as they were, and the next build removes
  the temporary ones. Only once all are written does the journal say "commit", and the files
  are renamed into place; a build killed during those renames is finished by the next one,
  before it does anything else;
- a file is deleted only when the previous build wrote it, it lies in a folder the generator
  owns, it is a regular file (not a link), and it still holds what was written; a file
  changed by hand since is kept, with a warning. Nothing is written or deleted through a
  symbolic link.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import stat
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from generator.errors import GeneratorError

log = logging.getLogger("generator")

MANIFEST = ".generated"
JOURNAL = ".generated.journal"
PAGE_MARKER = b"<!-- Generated from the digests by `python -m generator build`; edits here are overwritten. -->"
MANIFEST_HEADER = "# Files the generator wrote (hash, size, time, path); it deletes only these, and only unchanged.\n"
NEW = ".new"  # the suffix of a file waiting to be renamed into place


@dataclass(frozen=True)
class Written:
    """What the generator left in a file: a hash of its bytes, its size and modification time."""

    sha: str
    size: int
    mtime: int


@dataclass(frozen=True)
class WriteReport:
    """What a sync changed."""

    written: tuple[str, ...]
    unchanged: int
    removed: tuple[str, ...]


def digest(data: bytes) -> str:
    """The hash the manifest records of a file's bytes."""
    return hashlib.sha1(data).hexdigest()


def read_manifest(docs: Path, warn: bool = False) -> dict[str, Written | None]:
    """The files the previous build wrote, with what it left in them (None: not recorded, as an
    earlier version of the generator listed them). A line that cannot be read, or that names a
    path outside the docs folder, is no entry (with a warning if `warn`: once a build)."""
    try:
        data = (docs / MANIFEST).read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as err:
        raise GeneratorError(
            f"cannot read the list of generated files ({err.strerror})", str(docs / MANIFEST)
        ) from None
    found: dict[str, Written | None] = {}
    lines = data.decode("utf-8", "replace").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line or line.startswith("#"):
            continue
        parts = line.split(" ", 3)
        written: Written | None = None
        if "\ufffd" in line:
            name = ""  # warned about below
        elif len(parts) == 4 and len(parts[0]) == 40 and parts[1].isdigit() and parts[2].isdigit():
            name, written = parts[3], Written(parts[0], int(parts[1]), int(parts[2]))
        elif " " not in line:
            name = line
        else:
            continue
        if "\ufffd" not in line and _inside(name):
            found[name] = written
        elif warn:
            problem = "not UTF-8 text" if "\ufffd" in line else "not a path inside the docs folder"
            log.warning("%s:%d: %s; the line is ignored", docs / MANIFEST, number, problem)
    return found


def _inside(name: str) -> bool:
    """Whether a relative path stays inside the folder it is relative to."""
    return not (name.startswith(("/", MANIFEST)) or "\\" in name or any(p in ("", ".", "..") for p in name.split("/")))


def intact(docs: Path, name: str, written: Written | None) -> bool:
    """Whether a file still has the size and modification time the generator left it with."""
    if written is None:
        return False
    found = _lstat(os.path.join(docs, name))
    return (
        found is not None
        and stat.S_ISREG(found.st_mode)
        and (found.st_size, found.st_mtime_ns)
        == (
            written.size,
            written.mtime,
        )
    )


def unchanged(docs: Path, expected: Mapping[str, str]) -> set[str]:
    """The files that still hold the bytes whose hash `expected` gives for them, as the last
    build left them (by the manifest, and their size and modification time)."""
    previous = read_manifest(docs)
    return {
        name for name, sha in expected.items() if (w := previous.get(name)) and w.sha == sha and intact(docs, name, w)
    }


def check_paths(files: Collection[str]) -> None:
    """Refuse any output path that could escape the docs folder."""
    for name in files:
        if not _inside(name):
            raise GeneratorError(f"refusing to write outside the docs folder: {name!r}")


def write_site(
    files: Mapping[str, str], docs: Path, owned: Collection[str], kept: Collection[str] = frozenset()
) -> WriteReport:
    """Bring the docs folder in line with `files`: write what changed, delete what is gone.

    `owned` are the top-level names the generator writes under (files and folders): only there
    does it delete. `kept` are files of the previous build known to be wanted as they are
    (their inputs did not change): they stay, unread.
    """
    check_paths(files)
    recover(docs)
    previous = read_manifest(docs, warn=True)
    kept = {name for name in kept if name in previous and name not in files}
    same = set(kept)
    changed: dict[str, bytes] = {}
    for name, text in files.items():
        data = text.encode("utf-8")
        before = previous.get(name)
        if before is not None and before.sha == digest(data) and intact(docs, name, before):
            same.add(name)
        else:
            changed[name] = data
    for name, data in changed.items():
        _check_target(docs, name, name in previous, data)
    _check_twins(docs, set(files) | kept, previous)
    gone = [n for n in sorted(set(previous) - set(files) - kept) if n.split("/")[0] in owned]
    if not changed and not gone and set(previous) == same:
        return WriteReport(written=(), unchanged=len(same), removed=())
    writes = {name: digest(changed[name]) for name in sorted(changed)}
    _io(os.makedirs, str(docs), exist_ok=True)
    journal = {"state": "writing", "write": writes, "remove": gone, "keep": sorted(same)}
    _save_json(docs / JOURNAL, journal)
    folders: set[str] = set()  # folders known to exist
    try:
        for name in writes:
            target = os.path.join(docs, name)
            folder = os.path.dirname(target)
            if folder not in folders:
                _io(os.makedirs, folder, exist_ok=True)
                folders.add(folder)
            try:
                _create(_new_name(target), changed[name])
            except OSError as err:
                raise GeneratorError(f"cannot write ({err.strerror or err})", target) from None
    except BaseException:
        _undo(docs, list(writes))
        raise
    journal["state"] = "commit"
    _save_json(docs / JOURNAL, journal)
    removed = recover(docs)  # renames the new files into place, deletes, writes the manifest
    return WriteReport(written=tuple(writes), unchanged=len(same), removed=removed)


def recover(docs: Path) -> tuple[str, ...]:
    """Finish or undo what a build left half done (see the module docstring); the files it
    deleted. Nothing to do when the last build finished."""
    path = docs / JOURNAL
    _temporary(path).unlink(missing_ok=True)  # left by a build killed while writing the journal
    try:
        journal = json.loads(path.read_bytes())
        writes, removals, keep = dict(journal["write"]), list(journal["remove"]), list(journal["keep"])
        check_paths([*writes, *removals, *keep])
    except FileNotFoundError:
        return ()
    except (ValueError, KeyError, TypeError, GeneratorError):
        log.warning("%s: ignoring a damaged journal", path)
        path.unlink()
        return ()
    if journal.get("state") != "commit":
        _undo(docs, list(writes))
        return ()
    previous = read_manifest(docs)
    manifest = {name: previous[name] for name in keep if name in previous}
    for name, sha in writes.items():
        target = os.path.join(docs, name)
        waiting = _new_name(target)
        if os.path.lexists(waiting):
            _io(os.replace, waiting, target)
        found = _lstat(target)
        if found is not None:
            manifest[name] = Written(str(sha), found.st_size, found.st_mtime_ns)
    removed = []
    for name in removals:
        if _remove(docs, name, previous.get(name)):
            removed.append(name)
        else:
            manifest[name] = previous.get(name)  # kept: still listed, so it is never taken for a person's
    text = MANIFEST_HEADER + "".join(
        f"{w.sha} {w.size} {w.mtime} {name}\n" if w else f"{name}\n" for name, w in sorted(manifest.items())
    )
    write_if_changed(docs / MANIFEST, text.encode("utf-8"))
    path.unlink()
    return tuple(removed)


def _undo(docs: Path, writes: list[str]) -> None:
    """Remove the temporary files of a build that did not get to commit, and its journal."""
    for name in writes:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(_new_name(os.path.join(docs, name)))
    with contextlib.suppress(FileNotFoundError):
        (docs / JOURNAL).unlink()


def _check_target(docs: Path, name: str, listed: bool, data: bytes) -> None:
    """Refuse to write `name` where that would replace a folder or a file a person wrote, or
    go through a link."""
    target = os.path.join(docs, name)
    parts = name.split("/")
    for depth in range(1, len(parts) + 1):
        where = os.path.join(docs, *parts[:depth])
        found = _lstat(where)
        if found is None:
            return
        if stat.S_ISLNK(found.st_mode):
            raise GeneratorError(f"{where}: is a link; the generator never writes through links")
    if found is not None and stat.S_ISDIR(found.st_mode):
        raise GeneratorError(f"{target}: is a folder, but the generator needs to write a file there")
    if not listed and not _looks_generated(Path(target), data):
        raise GeneratorError(
            f"{target}: exists and was not written by the generator; move it away "
            "(the generator never overwrites hand-written pages)"
        )


def _check_twins(docs: Path, files: Collection[str], previous: Collection[str]) -> None:
    """Refuse a page written by hand that MkDocs would publish at a generated page's address:
    `papers/x/index.md` and `papers/x.md` are both `papers/x/`."""
    for name in files:
        if not name.endswith(".md"):
            continue
        folder, base = os.path.split(name[:-3])
        twin = f"{folder}.md" if base == "index" and folder else f"{name[:-3]}/index.md"
        if twin not in files and twin not in previous and _lstat(os.path.join(docs, twin)) is not None:
            raise GeneratorError(
                f"{os.path.join(docs, twin)}: a page written by hand where the generated {name} goes "
                "(MkDocs would publish both at one address); move it away"
            )


def _looks_generated(path: Path, data: bytes) -> bool:
    """An unlisted file is ours if it is identical or carries the generator's page marker."""
    try:
        existing = path.read_bytes()
    except OSError as err:
        raise GeneratorError(f"cannot read ({err.strerror or err})", str(path)) from None
    return existing == data or existing.rstrip().endswith(PAGE_MARKER)


def _remove(docs: Path, name: str, written: Written | None) -> bool:
    """Delete a file the previous build wrote, if it may be deleted (see the module docstring); True if it is gone."""
    target = os.path.join(docs, name)
    found = _lstat(target)
    if found is None:
        return True
    if written is None or not stat.S_ISREG(found.st_mode) or _through_link(docs, name):
        return False
    try:
        with open(target, "rb") as stream:
            held = stream.read()
    except OSError as err:
        raise GeneratorError(f"cannot read ({err.strerror or err})", target) from None
    if digest(held) != written.sha:
        log.warning("%s: changed by hand since the generator wrote it; kept (delete it if it should go)", target)
        return False
    _io(os.unlink, target)
    folder = Path(target).parent
    while folder != docs and docs in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            break
        folder = folder.parent
    return True


def _through_link(docs: Path, name: str) -> bool:
    """Whether a path under the docs folder goes through a symbolic link."""
    parts = PurePosixPath(name).parts
    return any(os.path.islink(os.path.join(docs, *parts[:depth])) for depth in range(1, len(parts) + 1))


def _new_name(target: str) -> str:
    """Where a file's new bytes wait to be renamed into place (a dotfile: MkDocs ignores it)."""
    folder, base = os.path.split(target)
    return os.path.join(folder, f".{base}{NEW}")


def _lstat(path: str) -> os.stat_result | None:
    """A path's own status (not a link's target's), or None if it is not there."""
    try:
        return os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


def _io(function: object, path: str, *args: object, **kwargs: object) -> None:
    """Call an os function on `path`; an I/O error becomes a GeneratorError naming the file."""
    try:
        function(path, *args, **kwargs)  # type: ignore[operator]
    except OSError as err:
        raise GeneratorError(f"cannot write ({err.strerror or err})", err.filename or path) from None


def _save_json(path: Path, value: object) -> None:
    """Write a small JSON file whole (a temporary file, then a rename)."""
    replace_file(path, json.dumps(value).encode("utf-8"))


def write_if_changed(path: Path, data: bytes) -> bool:
    """Atomically replace a file's bytes unless they are already equal; True if written.

    For the files that must never be half written (the URL registry): a crash leaves the old
    file or the new one (and a temporary file, which this removes the next time).
    """
    _temporary(path).unlink(missing_ok=True)
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        raise GeneratorError(f"{path}: is a folder, but the generator needs to write a file there") from None
    except OSError as err:
        raise GeneratorError(f"cannot read ({err.strerror or err})", str(path)) from None
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path, data)
    return True


def replace_file(path: Path, data: bytes) -> None:
    """Replace a file atomically through a temporary file beside it (dotfiles are ignored by MkDocs)."""
    temporary = _temporary(path)
    try:
        _create(str(temporary), data)
        os.replace(temporary, path)
    except OSError as err:
        temporary.unlink(missing_ok=True)
        raise GeneratorError(f"cannot write ({err.strerror or err})", str(path)) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _temporary(path: Path) -> Path:
    """Where replace_file writes a file's new bytes before renaming them into place."""
    return path.with_name(f".{path.name}.tmp")


def _create(path: str, data: bytes) -> None:
    """Write a file, readable by all whatever the umask (as MkDocs and Pages expect)."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    with os.fdopen(handle, "wb") as stream:
        if os.fstat(handle).st_mode & 0o777 != 0o644:
            os.fchmod(handle, 0o644)
        stream.write(data)
