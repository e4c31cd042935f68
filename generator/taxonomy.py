"""The taxonomy: topics and their rules, read from `taxonomy.yaml` and checked (tags.py matches them).

Every problem with the file is one line naming the file and the tag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import re2  # type: ignore[import-untyped]
import yaml
from slugify import slugify

from generator.errors import GeneratorError, read_text
from generator.model import Topic

TAXONOMY_NAME = "taxonomy.yaml"
_TAG_KEYS = {"name", "description", "words", "case_sensitive", "patterns", "title_words", "exclude", "threshold"}
_SETTING_KEYS = {"title_weight", "abstract_weight", "threshold", "max_tags", "min_papers", "max_abstract_hits"}
_TOKEN = re.compile(r"\w+")
JOINER = re.compile(r"[\s-]+")
# LibYAML's safe loader where PyYAML was built with it (ten times quicker); the same documents.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Settings:
    """How matches become tags."""

    title_weight: int = 3  # a title match alone is enough
    abstract_weight: int = 1  # an abstract needs `threshold` mentions
    threshold: int = 2
    max_abstract_hits: int = 3  # one long abstract that repeats a word is not more on topic
    max_tags: int = 6
    min_papers: int = 3  # smaller tags are not shown


@dataclass(frozen=True)
class Phrase:
    """A word or phrase rule as tokens; a space or hyphen between words matches either."""

    tokens: tuple[str, ...]  # lower-cased unless case_sensitive
    case_sensitive: bool = False


@dataclass(frozen=True)
class Tag:
    """One topic: its name, description and match rules."""

    name: str
    description: str
    slug: str
    phrases: tuple[Phrase, ...] = ()
    title_phrases: tuple[Phrase, ...] = ()  # evidence only when in the title
    patterns: tuple[Pattern, ...] = ()
    exclude: tuple[Pattern, ...] = ()
    threshold: int | None = None  # overrides the taxonomy's threshold

    def minimum(self, settings: Settings) -> int:
        """The score this tag needs: its own threshold, or the taxonomy's."""
        return settings.threshold if self.threshold is None else self.threshold

    def passes(self, score: int, settings: Settings) -> bool:
        """Whether a score is enough for this tag."""
        return score >= self.minimum(settings)


@dataclass(frozen=True)
class Taxonomy:
    """All tags, in the file's order, and the settings."""

    tags: tuple[Tag, ...]
    settings: Settings = field(default_factory=Settings)
    source: str = TAXONOMY_NAME

    def topics(self) -> list[Topic]:
        """The tags as the site shows them."""
        return [Topic(name=t.name, slug=t.slug, description=t.description) for t in self.tags]


def phrase(text: str, case_sensitive: bool, label: str, source: str) -> Phrase:
    """Turn a rule's word or phrase into tokens, refusing characters a phrase cannot hold."""
    tokens = _TOKEN.findall(text)
    if not tokens or " ".join(tokens) != " ".join(JOINER.split(text.strip())):
        raise GeneratorError(
            f"{label}: {text!r} may hold only letters, digits, spaces and hyphens (use patterns for more)", source
        )
    return Phrase(tuple(tokens if case_sensitive else (t.lower() for t in tokens)), case_sensitive)


_WORD = r"\pL\pN_"  # the characters Python's \w matches: letters, digits and the underscore
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # its errors are messages here, not lines on stderr


@dataclass(frozen=True)
class Pattern:
    r"""A rule's regular expression, matched in any case and on word boundaries: a match neither
    starts nor ends inside a word (as `(?<!\w)(?:source)(?!\w)` would in Python).

    RE2 runs it, in time linear in the text, so no pattern can hang a build whatever an abstract
    holds (Python's engine backtracks: `(a+)+$` or `\w*\w*\w*b` take it hours on one long word).
    """

    source: str
    regex: Any = field(compare=False, repr=False)

    @classmethod
    def compile(cls, source: str) -> Pattern:
        """The pattern; re2.error if RE2 cannot run it. RE2 has no lookarounds, so the word
        boundaries are characters matched around the pattern: a non-word character before (the
        text is searched with a space in front) and one after, or the end; group 1 is the match."""
        return cls(source, re2.compile(f"(?i)[^{_WORD}]({source})(?:[^{_WORD}]|$)".encode(), _RE2_OPTIONS))

    def __reduce__(self) -> tuple[Any, ...]:
        return (Pattern.compile, (self.source,))  # a cache key holds the source, not RE2's object

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where the pattern matches in a text, left to right, as Python's finditer would find them."""
        data = b" " + text.encode("utf-8")
        found, at = [], 0
        while (match := self.regex.search(data, at)) is not None:
            start, end = match.span(1)
            found.append((start - 1, end - 1))
            # The next match may begin right after this one, the character before it being this
            # match's last; never at or before this one's start (an empty match moves on by one).
            at = max(end - 1, start)
        if found and not text.isascii():  # byte offsets to character offsets
            chars = _char_offsets(data[1:], {offset for span in found for offset in span})
            found = [(chars[start], chars[end]) for start, end in found]
        return found


def _char_offsets(data: bytes, offsets: set[int]) -> dict[int, int]:
    """The character offset of each of these byte offsets into UTF-8 text."""
    found, byte, char = {}, 0, 0
    for offset in sorted(offsets):
        char += len(data[byte:offset].decode("utf-8"))
        found[offset], byte = char, offset
    return found


def load_taxonomy(path: Path) -> Taxonomy:
    """Read the taxonomy file; a missing file means no topics."""
    if not path.is_file():
        return Taxonomy(tags=(), source=str(path))
    return parse_taxonomy(read_text(path), str(path))


def parse_taxonomy(text: str, source: str) -> Taxonomy:
    """Parse and check taxonomy YAML; every problem is one line naming the file and the tag."""
    try:
        data = yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise GeneratorError(f"invalid YAML: {getattr(err, 'problem', None) or err}", source, line) from None
    if not isinstance(data, dict) or not isinstance(data.get("tags"), list):
        raise GeneratorError("expected a mapping with a 'tags' list", source)
    unknown = set(data) - {"tags", "settings"}
    if unknown:
        raise GeneratorError(f"unknown key {sorted(unknown)[0]!r} (expected 'tags' and 'settings')", source)
    settings = _settings(data.get("settings") or {}, source)
    tags: list[Tag] = []
    names: dict[str, str] = {}
    slugs: dict[str, str] = {}
    for position, item in enumerate(data["tags"], start=1):
        tag = _tag(item, position, source)
        if tag.name.casefold() in names:
            raise GeneratorError(f"tag {tag.name!r}: duplicate name (tag #{position})", source)
        if tag.slug in slugs:
            raise GeneratorError(f"tag {tag.name!r}: same URL as tag {slugs[tag.slug]!r} (tag #{position})", source)
        names[tag.name.casefold()] = slugs[tag.slug] = tag.name
        tags.append(tag)
    return Taxonomy(tags=tuple(tags), settings=settings, source=source)


def _settings(data: object, source: str) -> Settings:
    """Check the optional settings block."""
    if not isinstance(data, dict):
        raise GeneratorError("'settings' must be a mapping", source)
    for key, value in data.items():
        if key not in _SETTING_KEYS:
            raise GeneratorError(f"settings: unknown key {key!r}", source)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise GeneratorError(f"settings: {key} must be a whole number, got {value!r}", source)
    return Settings(**data)


def _tag(item: object, position: int, source: str) -> Tag:
    """Check and compile one tag entry."""
    if not isinstance(item, dict):
        raise GeneratorError(f"tag #{position}: expected a mapping with name, description and rules", source)
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise GeneratorError(f"tag #{position} has no name", source)
    name = " ".join(name.split())
    label = f"tag {name!r}"
    unknown = set(item) - _TAG_KEYS
    if unknown:
        raise GeneratorError(f"{label}: unknown key {sorted(unknown)[0]!r}", source)
    description = item.get("description")
    if not isinstance(description, str) or not description.strip() or "\n" in description.strip():
        raise GeneratorError(f"{label}: needs a one-line description", source)
    threshold = item.get("threshold")
    if threshold is not None and (not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 1):
        raise GeneratorError(f"{label}: threshold must be a whole number of at least 1, got {threshold!r}", source)
    lists = {}
    for key in ("words", "case_sensitive", "patterns", "title_words", "exclude"):
        value = item.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise GeneratorError(f"{label}: {key} must be a list of non-empty strings", source)
        lists[key] = value
    phrases = [phrase(w, False, label, source) for w in lists["words"]]
    phrases += [phrase(w, True, label, source) for w in lists["case_sensitive"]]
    title_phrases = [phrase(w, False, label, source) for w in lists["title_words"]]
    compiled: dict[str, list[Pattern]] = {"patterns": [], "exclude": []}
    for key, target in compiled.items():
        for pattern in lists[key]:
            try:
                re.compile(pattern)  # Python's syntax and messages (RE2 takes a count past 2**32 for another)
                target.append(Pattern.compile(pattern))
            except (re.error, OverflowError, RecursionError) as err:
                raise GeneratorError(
                    f"{label}: invalid regular expression {pattern!r} in {key}: {err}", source
                ) from None
            except re2.error as err:
                reason = err.args[0].decode("utf-8", "replace") if err.args else "unsupported"
                raise GeneratorError(
                    f"{label}: regular expression {pattern!r} in {key}: RE2 cannot run it ({reason}); "
                    "patterns run in RE2, which has no lookarounds or backreferences (write it without)",
                    source,
                ) from None
    if not phrases and not title_phrases and not compiled["patterns"]:
        raise GeneratorError(f"{label}: has no rules (words, case_sensitive, patterns or title_words)", source)
    slug = slugify(name)
    if not slug:
        raise GeneratorError(f"{label}: name needs letters or digits", source)
    return Tag(
        name=name,
        description=" ".join(description.split()),
        slug=slug,
        phrases=tuple(phrases),
        title_phrases=tuple(title_phrases),
        patterns=tuple(compiled["patterns"]),
        exclude=tuple(compiled["exclude"]),
        threshold=threshold,
    )
