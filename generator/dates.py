"""Give each digest its date: from the manifest, the file name, the digest's own date, or its date line plus a year."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

import yaml

from generator.errors import GeneratorError, is_text, read_text
from generator.model import Digest

log = logging.getLogger("generator")

MANIFEST_NAME = "digests.yaml"
_ISO_NAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:$|[^0-9])")
_DIGEST_KEYS = {"date", "year"}
_TOP_KEYS = {"year", "digests"}


@dataclass(frozen=True)
class DigestMeta:
    """What the manifest says about one digest."""

    date: dt.date | None = None
    year: int | None = None
    line: int = 0


@dataclass(frozen=True)
class Manifest:
    """The digests folder's date metadata (`digests/digests.yaml`)."""

    source: str = MANIFEST_NAME
    year: int | None = None
    digests: dict[str, DigestMeta] = field(default_factory=dict)


def load_manifest(path: Path) -> Manifest:
    """Read the manifest if there is one; a missing file means no metadata."""
    if not path.is_file():
        return Manifest(source=str(path))
    return parse_manifest(read_text(path), str(path))


class _Loader(yaml.SafeLoader):
    """YAML without aliases: a hand-written digest has no use for them, and a file of a few KB
    that repeats one long text through thousands of them would expand to GBs."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        """A node; an alias is an error at its line."""
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed", mark)
        return super().compose_node(parent, index)


def compose_yaml(text: str, source: str) -> yaml.Node | None:
    """YAML text as nodes (values stay text, with their lines); a syntax error names its line."""
    try:
        root = yaml.compose(text.removeprefix("\ufeff"), Loader=_Loader)
    except yaml.reader.ReaderError as err:  # a character YAML does not allow
        code = err.character if isinstance(err.character, int) else ord(err.character)
        message = f"invalid YAML: the character U+{code:04X} is not allowed"
        raise GeneratorError(message, source, text[: err.position].count("\n") + 1) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(err, "problem", None) or "invalid YAML"
        raise GeneratorError(f"invalid YAML: {problem}", source, line) from None
    stack = [root] if root is not None else []
    while stack:  # every value must be text: "\ud800" is half a character (a lone surrogate)
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode) and not is_text(node.value):
            raise GeneratorError(
                "invalid YAML: a lone surrogate (half a character) in a value", source, node.start_mark.line + 1
            )
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(part for pair in node.value for part in pair)
    return root


def parse_manifest(text: str, source: str) -> Manifest:
    """Parse manifest YAML, naming the file and line of anything it cannot use."""
    root = compose_yaml(text, source)
    if root is None:
        return Manifest(source=source)
    top = _mapping(root, source, "the manifest")
    for key in top:
        if key not in _TOP_KEYS:
            raise GeneratorError(
                f"unknown key {key!r} (expected one of: {', '.join(sorted(_TOP_KEYS))})",
                source,
                top[key][0].start_mark.line + 1,
            )
    year = _year(top["year"][1], source) if "year" in top else None
    digests: dict[str, DigestMeta] = {}
    if "digests" in top:
        for name, (key_node, value_node) in _mapping(top["digests"][1], source, "'digests'").items():
            line = key_node.start_mark.line + 1
            fields = _mapping(value_node, source, f"digest {name!r}")
            meta = DigestMeta(line=line)
            for field_name, (field_key, field_value) in fields.items():
                if field_name not in _DIGEST_KEYS:
                    raise GeneratorError(
                        f"digest {name!r}: unknown key {field_name!r} (expected 'date' or 'year')",
                        source,
                        field_key.start_mark.line + 1,
                    )
                if field_name == "date":
                    meta = replace(meta, date=read_date(field_value, source))
                else:
                    meta = replace(meta, year=_year(field_value, source))
            digests[PurePosixPath(name).as_posix()] = meta
    return Manifest(source=source, year=year, digests=digests)


def _mapping(node: yaml.Node, source: str, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """Check that a node is a mapping with string keys and return it keyed by name."""
    if not isinstance(node, yaml.MappingNode):
        raise GeneratorError(f"{what} must be a mapping", source, node.start_mark.line + 1)
    out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise GeneratorError(f"{what}: keys must be plain names", source, key_node.start_mark.line + 1)
        if key_node.value in out:
            raise GeneratorError(f"{what}: duplicate key {key_node.value!r}", source, key_node.start_mark.line + 1)
        out[key_node.value] = (key_node, value_node)
    return out


def _scalar(node: yaml.Node) -> str | None:
    """Return a scalar node's text, or None for anything else."""
    return node.value if isinstance(node, yaml.ScalarNode) else None


def _year(node: yaml.Node, source: str) -> int:
    """Read a four-digit year."""
    text = _scalar(node)
    if text is None or not re.fullmatch(r"\d{4}", text):
        raise GeneratorError(f"year must be four digits, got {text!r}", source, node.start_mark.line + 1)
    return int(text)


def read_date(node: yaml.Node, source: str) -> dt.date:
    """Read an ISO date (YYYY-MM-DD)."""
    text = _scalar(node)
    try:
        if text is None or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise GeneratorError(
            f"date must be a real date written YYYY-MM-DD, got {text!r}", source, node.start_mark.line + 1
        ) from None


def date_from_name(name: str, origin: str) -> dt.date | None:
    """Read the date from a file name such as `2025-03-11.txt` or `2025-03-11-evening.txt`."""
    match = _ISO_NAME.match(PurePosixPath(name).name)
    if not match:
        return None
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise GeneratorError("file name looks like a date but is not a real one", origin) from None


def resolve_dates(digests: list[Digest], manifest: Manifest, origins: dict[str, str]) -> list[Digest]:
    """Date every digest, in order: manifest date, ISO file name, the date the digest states
    (YAML `date`, JSON submittedOnDailyAt), header line plus a known year."""
    names = {d.name for d in digests}
    for name, meta in sorted(manifest.digests.items()):
        if name not in names:
            log.warning("%s:%d: lists %s, which is not in the digests folder", manifest.source, meta.line, name)
    return [replace(d, date=_resolve(d, manifest, origins.get(d.name, d.name))) for d in digests]


def _resolve(digest: Digest, manifest: Manifest, origin: str) -> dt.date | None:
    """Find one digest's date, warning when sources disagree or none is known."""
    meta = manifest.digests.get(digest.name, DigestMeta())
    header = digest.header_date
    date = meta.date or date_from_name(digest.name, origin)
    if date is not None:
        if header is not None and (header.month, header.day) != (date.month, date.day):
            log.warning(
                "%s:%d: header says %r but the digest is dated %s; using %s",
                origin,
                header.line,
                header.text,
                date.isoformat(),
                date.isoformat(),
            )
        if digest.own_date is not None and digest.own_date != date:
            log.warning(
                "%s:%d: the digest says %s but is dated %s; using %s",
                origin,
                digest.own_date_line or 1,
                digest.own_date.isoformat(),
                date.isoformat(),
                date.isoformat(),
            )
        return date
    if digest.own_date is not None:
        return digest.own_date
    if header is not None:
        year = header.year or meta.year or manifest.year
        if year is not None:
            try:
                return dt.date(year, header.month, header.day)
            except ValueError:
                raise GeneratorError(f"{header.text!r} is not a real date in {year}", origin, header.line) from None
        log.warning(
            "%s:%d: header says %r but no year is known; listed as undated (give it a year in %s)",
            origin,
            header.line,
            header.text,
            manifest.source,
        )
        return None
    inside = "no date line" if digest.name.lower().endswith(".txt") else "no date in it"
    log.warning("%s: no date (no manifest entry, no ISO date in the name, %s); listed as undated", origin, inside)
    return None


def with_digest_date(text: str, source: str, name: str, date: dt.date, comment: str) -> str:
    """The manifest's text with digest `name` dated `date` (and `comment` above the date line);
    everything already written, comments included, stays as it is.

    The date goes into the digest's own block if it has one, else into `digests:` (made at the
    end if missing). A manifest laid out in a way this cannot extend (flow style, a date already
    there) is an error asking for the date to be written by hand; the result is read back to
    check that it says exactly what it should.
    """
    root = compose_yaml(text, source)
    if root is not None and not isinstance(root, yaml.MappingNode):
        raise GeneratorError("the manifest must be a mapping; add the date by hand", source)
    top = {key.value: (key, value) for key, value in root.value} if root is not None else {}
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"
    block = [f"# {comment}\n", f"date: {date.isoformat()}\n"]
    entry = [f"{json.dumps(name)}:\n", *("  " + line for line in block)]
    if "digests" not in top:
        lines += ["digests:\n", *("  " + line for line in entry)]
    else:
        key, digests = top["digests"]
        children = (
            {child.value: (child, value) for child, value in digests.value}
            if isinstance(digests, yaml.MappingNode)
            else {}
        )
        if name in children:
            child, value = children[name]
            fields = [k.value for k, _ in value.value] if isinstance(value, yaml.MappingNode) else []
            if not fields or value.flow_style or "date" in fields:
                raise GeneratorError(
                    f"cannot add a date to the entry of {name}; add it by hand", source, child.start_mark.line + 1
                )
            at, indent = child.start_mark.line + 1, value.start_mark.column
            lines[at:at] = [" " * indent + line for line in block]
        elif isinstance(digests, yaml.MappingNode) and not digests.flow_style:
            at, indent = key.start_mark.line + 1, digests.start_mark.column
            lines[at:at] = [" " * indent + line for line in entry]
        else:
            raise GeneratorError(
                "'digests' is not a block mapping; add the date by hand", source, key.start_mark.line + 1
            )
    new = "".join(lines)
    before, after = parse_manifest(text, source), parse_manifest(new, source)
    expected = {n: (m.date, m.year) for n, m in before.digests.items()}
    expected[name] = (date, before.digests.get(name, DigestMeta()).year)
    if {n: (m.date, m.year) for n, m in after.digests.items()} != expected or after.year != before.year:
        raise GeneratorError(f"could not add the date of {name}; add it by hand", source)
    return new
