"""Topics: a taxonomy the user edits (taxonomy.yaml), matched against titles and abstracts."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml
from slugify import slugify

from generator.errors import GeneratorError
from generator.model import Digest, Entry, Paper, Topic

TAXONOMY_NAME = "taxonomy.yaml"
_TAG_KEYS = {"name", "description", "words", "case_sensitive", "patterns", "title_words", "exclude", "threshold"}
_SETTING_KEYS = {"title_weight", "abstract_weight", "threshold", "max_tags", "min_papers", "max_abstract_hits"}


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


_TOKEN = re.compile(r"\w+")
Span = tuple[int, int]
# LibYAML's safe loader where PyYAML was built with it (ten times quicker); the same documents.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_JOINER = re.compile(r"[\s-]+")


def phrase(text: str, case_sensitive: bool, label: str, source: str) -> Phrase:
    """Turn a rule's word or phrase into tokens, refusing characters a phrase cannot hold."""
    tokens = _TOKEN.findall(text)
    if not tokens or " ".join(tokens) != " ".join(_JOINER.split(text.strip())):
        raise GeneratorError(
            f"{label}: {text!r} may hold only letters, digits, spaces and hyphens (use patterns for more)", source
        )
    return Phrase(tuple(tokens if case_sensitive else (t.lower() for t in tokens)), case_sensitive)


@dataclass(frozen=True, slots=True)
class _Rule:
    """A phrase rule as the matcher tries it at a word."""

    tag: int
    head: list[str]  # every token but the last, matched exactly
    last: frozenset[str]  # the last token, or it with a plural "s" or "es"
    size: int
    case_sensitive: bool
    title_only: bool


class Matcher:
    """Counts every tag's rule matches in a text in one pass over its words.

    Rules are looked up by a text's words (one-word rules by the word, longer ones by the word
    and the next), which keeps the cost per text independent of how many rules there are;
    regular expressions (patterns, exclude) are the only per-rule scans.
    A mention counts once for a tag however many of its rules match it: "machine translation"
    is one mention of a tag whose words are "machine translation" and "translation", not two.
    """

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._index: dict[str, list[_Rule]] = defaultdict(list)
        self._cache: dict[str, list[_Rule]] = {}
        # Each tag's regular expressions with the texts a match needs (see required_text): a
        # scan is skipped when the text lacks them, which most texts do.
        self._patterns = [[(r, required_text(r.pattern)) for r in tag.patterns] for tag in taxonomy.tags]
        self._exclude = [[(r, required_text(r.pattern)) for r in tag.exclude] for tag in taxonomy.tags]
        self._pairs: dict[str, list[_Rule]] = defaultdict(list)  # longer rules by their first two words
        for number, tag in enumerate(taxonomy.tags):
            for rules, title_only in ((tag.phrases, False), (tag.title_phrases, True)):
                for rule in rules:
                    last = rule.tokens[-1]
                    entry = _Rule(
                        tag=number,
                        head=list(rule.tokens[:-1]),
                        last=frozenset((last, last + "s", last + "es")),
                        size=len(rule.tokens),
                        case_sensitive=rule.case_sensitive,
                        title_only=title_only,
                    )
                    first = rule.tokens[0].lower()
                    if entry.size == 1:
                        self._index[first].append(entry)
                        continue
                    # The second word exactly, or when it is the last one, with a plural ending.
                    seconds = entry.last if entry.size == 2 else (rule.tokens[1],)
                    for second in sorted({word.lower() for word in seconds}):
                        self._pairs[f"{first} {second}"].append(entry)
        # Every word some rule may start at: a one-word rule's word, or it with a plural "s" or
        # "es" (the forms _candidates looks up), or a longer rule's first word. Most words are
        # none of these and are passed over at once.
        self._starters = frozenset(
            [f"{key}{end}" for key in self._index for end in ("", "s", "es")]
            + [pair.split(" ")[0] for pair in self._pairs]
        )

    def hits(self, text: str, title: bool) -> list[int]:
        """Mentions per tag in a text (title-only rules count when `title` is set).

        Matches of one tag that overlap are one mention: words are visited in order, so a match
        starting before the end of the tag's last mention (`reach`) only extends that mention.
        """
        tags = self.taxonomy.tags
        counts = [0] * len(tags)
        reach = [0] * len(tags)  # by tag: the word just past its last mention
        mentions: dict[int, list[Span]] = {}  # by tag with patterns: its mentions' word spans
        excluded: dict[int, list[Span]] = {}  # by tag, found once it has a match here
        written = _TOKEN.findall(text)
        if not written:
            return counts
        lowered = list(map(str.lower, written))
        starts: list[int] = []  # each word's offset, worked out when a rule needs it
        folded: list[str] = []  # the text as required_text's needs are looked up in, made once

        def scan(rules: list[tuple[re.Pattern[str], Needs]]) -> list[Span]:
            if not folded:
                folded.append(text.translate(_ASCII_CASES).lower())
            return [m.span() for pattern, needs in rules if _contains(folded[0], needs) for m in pattern.finditer(text)]

        def allowed(number: int, start: int, end: int) -> bool:
            if not tags[number].exclude:
                return True
            if number not in excluded:
                excluded[number] = scan(self._exclude[number])
            return not _overlaps(excluded[number], start, end)

        def offsets() -> list[int]:
            if not starts:
                starts.extend(map(re.Match.start, _TOKEN.finditer(text)))
            return starts

        def span(i: int, size: int) -> Span:
            at, last = offsets(), i + size - 1
            return at[i], at[last] + len(written[last])

        def joined(i: int, end: int) -> bool:
            """Whether only spaces and hyphens separate words i to end - 1."""
            at = offsets()
            for j in range(i + 1, end):
                gap = text[at[j - 1] + len(written[j - 1]) : at[j]]
                if gap != " " and gap != "-" and not _JOINER.fullmatch(gap):
                    return False
            return True

        count = len(written)
        starters = self._starters
        pairs = self._pairs
        for i in [i for i, low in enumerate(lowered) if low in starters]:
            low = lowered[i]
            candidates = self._candidates(low)
            if i + 1 < count:
                candidates = candidates + pairs.get(f"{low} {lowered[i + 1]}", [])
            for rule in candidates:
                if rule.title_only and not title:
                    continue
                end = i + rule.size
                if end > count:
                    continue
                words = written if rule.case_sensitive else lowered
                if words[end - 1] not in rule.last:
                    continue
                if rule.size > 1 and (words[i : end - 1] != rule.head or not joined(i, end)):
                    continue
                if tags[rule.tag].exclude and not allowed(rule.tag, *span(i, rule.size)):
                    continue
                number = rule.tag
                if i < reach[number]:  # inside or across the tag's last mention: the same one
                    reach[number] = max(reach[number], end)
                    if number in mentions:
                        mentions[number][-1] = (mentions[number][-1][0], reach[number])
                    continue
                counts[number] += 1
                reach[number] = end
                if tags[number].patterns:
                    mentions.setdefault(number, []).append((i, end))
        for number, tag in enumerate(tags):
            if not tag.patterns:
                continue
            # Phrase mentions as character spans; a pattern's match counts unless it touches one.
            found = [span(start, stop - start) for start, stop in mentions.get(number, ())]
            for match in scan(self._patterns[number]):
                if allowed(number, *match) and not _overlaps(found, *match):
                    counts[number] += 1
                    found.append(match)
        return counts

    def _candidates(self, word: str) -> list[_Rule]:
        """One-word rules that may match a word (its plural-less forms included), looked up once per word."""
        found = self._cache.get(word)
        if found is None:
            keys = {word, word[:-1] if word.endswith("s") else word, word[:-2] if word.endswith("es") else word}
            found = [entry for key in sorted(keys) for entry in self._index.get(key, ())]
            self._cache[word] = found
        return found

    def score(self, title: str, abstract: str, keywords: tuple[str, ...] = ()) -> list[int]:
        """Each tag's evidence in one paper: title matches weigh more than abstract mentions.

        Keywords (Hugging Face's ai_keywords) are extra evidence: a tag whose rules they match
        gets one more abstract mention if the title or abstract already mention it.
        """
        settings = self.taxonomy.settings
        in_title = self.hits(title, title=True)
        in_abstract = self.hits(abstract, title=False)
        if keywords:
            # One more mention for a tag the paper's own text already shows; keywords alone never
            # make a tag. A semicolon between keywords stops a rule spanning two of them.
            in_keywords = self.hits("; ".join(keywords), title=False)
            in_abstract = [
                a + (k > 0 and (a > 0 or t > 0)) for t, a, k in zip(in_title, in_abstract, in_keywords, strict=True)
            ]
        return [
            settings.title_weight * (t > 0) + settings.abstract_weight * min(a, settings.max_abstract_hits)
            for t, a in zip(in_title, in_abstract, strict=False)
        ]


def explain(tag: Tag, title: str, abstract: str) -> list[tuple[str, int, int]]:
    """Each of a tag's rules that matches a paper, as written (a pattern in its word-boundary
    wrapping), with its mentions in the title and in the abstract (for taxonomy editors:
    scripts/explain_tags.py).

    Each rule is matched alone, with the tag's exclusions, so two rules that match the same
    words both appear here, though the tag's score counts that mention once.
    """
    bare = replace(tag, phrases=(), title_phrases=(), patterns=())
    rules = [(" ".join(r.tokens), replace(bare, phrases=(r,))) for r in tag.phrases]
    rules += [(" ".join(r.tokens) + " (title only)", replace(bare, title_phrases=(r,))) for r in tag.title_phrases]
    rules += [(f"/{pattern.pattern}/", replace(bare, patterns=(pattern,))) for pattern in tag.patterns]
    found = []
    for label, alone in rules:
        matcher = Matcher(Taxonomy(tags=(alone,)))
        in_title, in_abstract = matcher.hits(title, title=True)[0], matcher.hits(abstract, title=False)[0]
        if in_title or in_abstract:
            found.append((label, in_title, in_abstract))
    return found


def _contains(text: str, needs: Needs) -> bool:
    """Whether a text has, for each entry of `needs`, one of its alternatives (see required_text)."""
    for choice in needs:
        for need in choice:
            if need in text:
                break
        else:
            return False
    return True


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether [start, end) touches any excluded span."""
    return any(start < span_end and span_start < end for span_start, span_end in spans)


Needs = tuple[tuple[str, ...], ...]
# The only characters besides A-Z that a case-insensitive regular expression matches to an ASCII
# letter, and what they match (found by trying every code point): lower() alone misses them.
_ASCII_CASES = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -")
_WRAP = re.compile(r"\(\?<!\\w\)\(\?:(.*)\)\(\?!\\w\)", re.DOTALL)


def required_text(pattern: str) -> Needs:
    """Texts, in lower case, that every match of a regular expression contains: for each entry,
    at least one of its alternatives. A text without them cannot match, so its scan is skipped.

    Conservative: only letters, digits, spaces and hyphens read outside any group or class
    (a run of at least 3, none made optional), and groups that are a plain choice of such runs
    (`(?:benchmark|dataset)`). Anything the reading is unsure of (a top-level `|`, inline flags,
    escapes, classes, other groups) only adds nothing. Patterns wrapped by pattern_rule are read
    inside their wrapping.
    """
    wrapped = _WRAP.fullmatch(pattern)
    pattern = wrapped.group(1) if wrapped else pattern
    if re.search(r"\(\?(?![:=!])", pattern):  # inline flags such as (?x), named groups, lookbehind
        return ()
    needs: list[tuple[str, ...]] = []
    run: list[str] = []

    def flush() -> None:
        text = "".join(run).strip()
        if len(text) >= 3:
            needs.append((text.lower(),))
        run.clear()

    i, size = 0, len(pattern)
    while i < size:
        char = pattern[i]
        follower = pattern[i + 1] if i + 1 < size else ""
        if char in _PLAIN:
            if follower and follower in "?*+{":
                flush()  # this character may be missing or repeated: the run ends before it
            else:
                run.append(char)
            i += 1
            continue
        flush()
        if char == "|":  # a choice at the top: nothing is required by every match
            return ()
        if char == "\\":
            if follower in "xuUN0123456789":  # an escape longer than two characters: give up
                return ()
            i += 2
        elif char == "[":
            i = _class_end(pattern, i) + 1
        elif char == "{":  # a repetition count, or a literal brace: read nothing from it
            close = pattern.find("}", i)
            i = close + 1 if close > 0 else size
        elif char == "(":
            end = _group_end(pattern, i)
            if end < 0:
                return ()
            after = pattern[end + 1] if end + 1 < size else ""
            choices = pattern[i + 3 : end].split("|")
            if (
                pattern.startswith("(?:", i)
                and not (after and after in "?*{")
                and all(set(c) <= _PLAIN and len(c.strip()) >= 3 for c in choices)
            ):
                needs.append(tuple(c.strip().lower() for c in choices))
            i = end + 1
        else:
            i += 1
    flush()
    return tuple(needs)


def _class_end(pattern: str, start: int) -> int:
    """The position of the "]" closing the character class opened at `start`."""
    i = start + 1
    if i < len(pattern) and pattern[i] == "^":
        i += 1
    if i < len(pattern) and pattern[i] == "]":
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i


def _group_end(pattern: str, start: int) -> int:
    """The position of the ")" closing the group opened at `start`, or -1."""
    depth, i = 0, start
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            i = _class_end(pattern, i)
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def pattern_rule(pattern: str) -> re.Pattern[str]:
    """A user's regular expression, case-insensitive, on word boundaries."""
    return re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", re.IGNORECASE)


def load_taxonomy(path: Path) -> Taxonomy:
    """Read the taxonomy file; a missing file means no topics."""
    if not path.is_file():
        return Taxonomy(tags=(), source=str(path))
    return parse_taxonomy(path.read_text(encoding="utf-8-sig"), str(path))


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
            except re.error as err:
                raise GeneratorError(
                    f"{label}: invalid regular expression {pattern!r} in {key}: {err}", source
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


def assign_tags(
    papers: tuple[Paper, ...] | list[Paper],
    taxonomy: Taxonomy,
    memo: dict[str, tuple[str, ...]] | None = None,
    keys: dict[str, str] | None = None,
) -> dict[str, tuple[str, ...]]:
    """Tag names for each paper id: best-scoring first, at most `max_tags`, small tags dropped.

    Topics a YAML digest gives a paper by hand come first, whatever the rules say; names the
    taxonomy does not know are ignored (unknown_topics reports them). `memo` holds, by
    `keys[paper.id]` (a hash of everything a paper's tags depend on), each paper's passing tags
    under this same taxonomy from an earlier build; it is read and extended.
    """
    settings = taxonomy.settings
    matcher: Matcher | None = None
    memo = {} if memo is None else memo
    names = {tag.name.casefold(): tag.name for tag in taxonomy.tags}
    ranked: dict[str, tuple[str, ...]] = {}
    for paper in papers:
        key = keys[paper.id] if keys else paper.id
        found = memo.get(key)
        if found is None:
            matcher = matcher or Matcher(taxonomy)
            given = [names[name.casefold()] for name in paper.details.tags if name.casefold() in names]
            scores = matcher.score(paper.title, paper.abstract, paper.details.ai_keywords)
            passing = [
                (-score, order, tag.name)
                for order, (tag, score) in enumerate(zip(taxonomy.tags, scores, strict=False))
                if tag.passes(score, settings) and tag.name not in given
            ]
            found = memo[key] = (*dict.fromkeys(given), *(name for _, _, name in sorted(passing)))
        ranked[paper.id] = found
    shown = {tag.name for tag in taxonomy.tags}
    while True:
        chosen = {pid: [n for n in names if n in shown][: settings.max_tags] for pid, names in ranked.items()}
        counts = Counter(name for names in chosen.values() for name in names)
        small = {name for name in shown if counts[name] < settings.min_papers}
        if not small:
            return {pid: tuple(names) for pid, names in chosen.items()}
        shown -= small


def unknown_topics(digests: tuple[Digest, ...], taxonomy: Taxonomy) -> list[tuple[Entry, str]]:
    """Topics given by hand in digests that the taxonomy does not have, with the entry that gave them."""
    known = {tag.name.casefold() for tag in taxonomy.tags}
    return [(e, name) for d in digests for e in d.entries for name in e.details.tags if name.casefold() not in known]
