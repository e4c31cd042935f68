"""The taxonomy: topics and their rules, read from `taxonomy.yaml` and checked (tags.py matches them).

Every problem with the file is one line naming the file and the tag.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from slugify import slugify

from generator.errors import GeneratorError, read_text
from generator.model import Topic

if sys.version_info >= (3, 11):  # Python's own parser of regular expressions
    from re import _constants, _parser  # type: ignore[attr-defined]
else:  # pragma: no cover
    import sre_constants as _constants
    import sre_parse as _parser

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
    patterns: tuple[re.Pattern[str], ...] = ()
    exclude: tuple[re.Pattern[str], ...] = ()
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


def pattern_rule(pattern: str) -> re.Pattern[str]:
    """A user's regular expression, case-insensitive, on word boundaries."""
    return re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", re.IGNORECASE)


MANY = 10  # repeated more than this many times, a repetition may not hold another


def slow_to_match(pattern: str) -> str | None:
    """What in a regular expression can make Python's engine take time exponential in the text
    (so that one abstract hangs a build), or None: a repetition inside a repetition of more than
    MANY (`(a+)+`, `(\\w+\\s?)*`), or a repeated choice between alternatives that are not plain,
    distinct words (`(a|a)*`, where the engine tries every way of splitting the text). Other
    patterns match in time about linear in the text."""

    def walk(items: Any, repeated: bool) -> str | None:
        for op, value in items:
            if op in (_constants.MAX_REPEAT, _constants.MIN_REPEAT):
                _, high, body = value
                many = high == _constants.MAXREPEAT or high > MANY
                if many and repeated:
                    return "a repetition inside a repetition"
                found = walk(body, repeated or many)
            elif op == _constants.BRANCH:
                found_words = [_literal(branch) for branch in value[1]]
                words = [word for word in found_words if word is not None]
                plain = len(words) == len(found_words) and len(set(words)) == len(words)
                if repeated and (not plain or any(a != b and b.startswith(a) for a in words for b in words)):
                    return "a repeated choice whose alternatives can match the same text"
                found = next((why for branch in value[1] if (why := walk(branch, repeated))), None)
            elif op in (_constants.SUBPATTERN, _constants.ASSERT, _constants.ASSERT_NOT):
                found = walk(value[-1], repeated)
            else:
                found = None
            if found:
                return found
        return None

    return walk(_parser.parse(pattern), False)


def _literal(items: Any) -> str | None:
    """The plain text a parsed alternative matches, or None if it is not plain text."""
    if not all(op == _constants.LITERAL for op, _ in items):
        return None
    return "".join(chr(code) for _, code in items)


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
    compiled: dict[str, list[re.Pattern[str]]] = {"patterns": [], "exclude": []}
    for key, target in compiled.items():
        for pattern in lists[key]:
            try:
                target.append(pattern_rule(pattern))
                danger = slow_to_match(pattern)
            except (re.error, OverflowError, RecursionError) as err:
                raise GeneratorError(
                    f"{label}: invalid regular expression {pattern!r} in {key}: {err}", source
                ) from None
            if danger:
                raise GeneratorError(
                    f"{label}: regular expression {pattern!r} in {key} holds {danger}, which can take the "
                    "regular-expression engine longer than any build should (write it without)",
                    source,
                )
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
