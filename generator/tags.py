"""Topics: each paper's tags, by matching the taxonomy's rules (taxonomy.py) against its title
and abstract."""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from generator.model import Digest, Entry, Paper
from generator.taxonomy import JOINER, Pattern, Tag, Taxonomy

_WORDS = re.compile(r"(\w+)")  # splits a text into gaps and words
Span = tuple[int, int]


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
        self._names = {tag.name.casefold(): tag.name for tag in taxonomy.tags}
        self._index: dict[str, list[_Rule]] = defaultdict(list)
        self._cache: dict[str, list[_Rule]] = {}
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
        parts = _WORDS.split(text)  # gap, word, gap, word, ..., gap
        written = parts[1::2]
        if not written:
            return counts
        lowered = list(map(str.lower, written))
        starts: list[int] = []  # each word's offset, worked out when a rule needs it

        def scan(patterns: tuple[Pattern, ...]) -> list[Span]:
            return [span for pattern in patterns for span in pattern.spans(text)]

        def allowed(number: int, start: int, end: int) -> bool:
            if not tags[number].exclude:
                return True
            if number not in excluded:
                excluded[number] = scan(tags[number].exclude)
            return not _overlaps(excluded[number], start, end)

        def offsets() -> list[int]:
            if not starts:  # word i starts where the parts before it end
                starts.extend(list(itertools.accumulate(map(len, parts[: 2 * len(written)])))[0::2])
            return starts

        def span(i: int, size: int) -> Span:
            at, last = offsets(), i + size - 1
            return at[i], at[last] + len(written[last])

        def joined(i: int, end: int) -> bool:
            """Whether only spaces and hyphens separate words i to end - 1."""
            for j in range(i + 1, end):
                gap = parts[2 * j]
                if gap != " " and gap != "-" and not JOINER.fullmatch(gap):
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
            for match in scan(tag.patterns):
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

    def rank(self, title: str, abstract: str, given: tuple[str, ...], keywords: tuple[str, ...]) -> tuple[str, ...]:
        """The tags a paper's text earns, best-scoring first, after the topics given by hand (a
        YAML digest's `tags`, by name, whatever the rules say; names the taxonomy does not know
        are ignored: unknown_topics reports them). `keywords` are Hugging Face's ai_keywords."""
        taxonomy = self.taxonomy
        names = self._names
        chosen = [names[name.casefold()] for name in given if name.casefold() in names]
        scores = self.score(title, abstract, keywords)
        passing = [
            (-score, order, tag.name)
            for order, (tag, score) in enumerate(zip(taxonomy.tags, scores, strict=True))
            if tag.passes(score, taxonomy.settings) and tag.name not in chosen
        ]
        return (*dict.fromkeys(chosen), *(name for _, _, name in sorted(passing)))

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
    """Each of a tag's rules that matches a paper, as written (a pattern between slashes), with
    its mentions in the title and in the abstract (for taxonomy editors: scripts/explain_tags.py).

    Each rule is matched alone, with the tag's exclusions, so two rules that match the same
    words both appear here, though the tag's score counts that mention once.
    """
    bare = replace(tag, phrases=(), title_phrases=(), patterns=())
    rules = [(" ".join(r.tokens), replace(bare, phrases=(r,))) for r in tag.phrases]
    rules += [(" ".join(r.tokens) + " (title only)", replace(bare, title_phrases=(r,))) for r in tag.title_phrases]
    rules += [(f"/{pattern.source}/", replace(bare, patterns=(pattern,))) for pattern in tag.patterns]
    found = []
    for label, alone in rules:
        matcher = Matcher(Taxonomy(tags=(alone,)))
        in_title, in_abstract = matcher.hits(title, title=True)[0], matcher.hits(abstract, title=False)[0]
        if in_title or in_abstract:
            found.append((label, in_title, in_abstract))
    return found


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether [start, end) touches any excluded span."""
    return any(start < span_end and span_start < end for span_start, span_end in spans)


def assign_tags(papers: Iterable[Paper], taxonomy: Taxonomy) -> dict[str, tuple[str, ...]]:
    """Each paper's tags, by paper id: its best-ranked ones (Matcher.rank), chosen by choose_tags."""
    matcher = Matcher(taxonomy)
    ranked = {p.id: matcher.rank(p.title, p.abstract, p.details.tags, p.details.ai_keywords) for p in papers}
    return choose_tags(ranked, taxonomy)


def choose_tags(ranked: dict[str, tuple[str, ...]], taxonomy: Taxonomy) -> dict[str, tuple[str, ...]]:
    """Each paper's tags (by paper id) from its ranked tags (Matcher.rank): at most `max_tags`, and
    only tags that at least `min_papers` papers show."""
    settings = taxonomy.settings
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
