"""Terms for related papers: stemmed words and two-word phrases of each paper, remembered by text.

Words are stemmed (Snowball) and paired into two-word phrases; English and boilerplate research
words are left out. A TermStore keeps each paper's term counts (and the counts of its written
words, to show a stem as people write it) by a hash of its title and abstract, in vocabularies
shared by all papers, so a later build analyses only papers it has not seen. It can live in the
build cache: what it holds depends only on each paper's own text.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import snowballstemmer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from generator.model import Paper

TITLE_REPEAT = 3

# Words every abstract uses, which connect nothing.
DOMAIN_STOP_WORDS = frozenset(
    """
    paper propose proposed proposes approach approaches method methods result results show shows shown
    demonstrate demonstrates demonstrated novel existing new use used uses using based work works study
    studies studied experiment experiments experimental empirical empirically significantly significant
    improve improves improved improvement improvements achieve achieves achieved state art outperform
    outperforms outperforming different various problem problems introduce introduces introduced present
    presents presented provide provides provided finding findings find finds recent recently able
    effective effectively efficient efficiently simple simply key way ways code available github https
    http com www io org additionally furthermore moreover however therefore thus hence particular
    particularly specifically specific generally general typically usually often widely commonly
    surprising surprisingly interestingly notably importantly remarkably consistently substantially
    largely highly observe observed observation observations examine examined examining investigate
    investigated investigating investigation explore explored exploring aim aims goal goals allow allows
    allowing enable enables enabling lead leads led leading make makes making yield yields help helps
    conduct conducted extensive comprehensive release released open source publicly accompanied
    accompanying individual conditions condition factor factors aspect aspects case cases example
    examples number set sets value values type types level levels terms term step steps stage stages
    well known believe believed fact despite remain remains remained able address addresses addressing
    challenge challenges challenging crucial critical important essential fundamental natural question
    questions answer answers evidence insight insights understanding perspective overall better best
    good strong stronger weak lower higher large larger small smaller high low long short wide range
    ranging including include includes et al
    """.split()
)
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | DOMAIN_STOP_WORDS
# Words, with hyphenated compounds as one word ("fine-tuning" meets "finetuning").
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class Analyzer:
    """Turns text into stemmed words and two-word phrases, remembering how words are written."""

    def __init__(self, stems: dict[str, str | None] | None = None) -> None:
        self._stemmer = snowballstemmer.stemmer("english")
        self._stems = {} if stems is None else stems  # word -> stem, shared with a TermStore
        self._tokens: dict[str, tuple[tuple[str | None, str], ...]] = {}
        self._token_stems: dict[str, tuple[str | None, ...]] = {}  # token -> its stems, for terms_of
        self.counts: Counter[str] = Counter()  # written words seen by `terms`

    def _stem(self, word: str) -> str | None:
        """A word's stem; None for stop words, single letters and words starting with a digit ("7b")."""
        if word in self._stems:
            return self._stems[word]
        stem = None
        if len(word) >= 2 and not word[0].isdigit() and word not in STOP_WORDS:
            stem = str(self._stemmer.stemWord(word))
        self._stems[word] = stem
        return stem

    def token(self, token: str) -> tuple[tuple[str | None, str], ...]:
        """(stem, written word) pairs of a token; compounds stay whole unless a part is a letter or two."""
        found = self._tokens.get(token)
        if found is None:
            parts = token.split("-")
            if len(parts) > 1 and all(len(part) > 2 for part in parts):
                found = ((self._stem(token.replace("-", "")), token),)
            else:
                found = tuple((self._stem(part), part) for part in parts)
            self._tokens[token] = found
        return found

    @staticmethod
    def words(text: str) -> list[str]:
        """The written words of a text, lower-cased."""
        return _WORD.findall(text.lower())

    def terms_of(self, tokens: list[str]) -> list[str]:
        """Stemmed words and adjacent-word phrases of a text's words, stop words out."""
        known = self._token_stems
        try:  # looked up at C speed: most tokens are known
            found = list(map(known.__getitem__, tokens))
        except KeyError:
            for token in tokens:
                if token not in known:
                    known[token] = tuple(stem for stem, _ in self.token(token))
            found = list(map(known.__getitem__, tokens))
        stems = list(itertools.chain.from_iterable(found))
        terms = [stem for stem in stems if stem]
        terms += [f"{a} {b}" for a, b in itertools.pairwise(stems) if a and b]
        return terms

    def terms(self, text: str) -> list[str]:
        """Stemmed words and adjacent-word phrases of a text, stop words out."""
        tokens = self.words(text)
        self.counts.update(tokens)
        return self.terms_of(tokens)

    def single_stem(self, token: str) -> str:
        """The stem a one-part token stands for ("" for compounds split in parts and stop words)."""
        found = self.token(token)
        return (found[0][0] or "") if len(found) == 1 else ""


class _Vocabulary:
    """Strings and their ids, in order of first sight; append-only."""

    def __init__(self, words: list[str] | None = None) -> None:
        self.words: list[str] = words or []
        self._ids: dict[str, int] | None = None

    def ids(self, words: list[str]) -> list[int]:
        """The ids of words, adding the new ones."""
        if self._ids is None:
            self._ids = {word: index for index, word in enumerate(self.words)}
        ids = self._ids
        try:  # looked up at C speed: most words are known
            return list(map(ids.__getitem__, words))
        except KeyError:
            for word in words:
                if word not in ids:
                    ids[word] = len(self.words)
                    self.words.append(word)
            return list(map(ids.__getitem__, words))

    def __getstate__(self) -> dict[str, Any]:
        return {"words": "\n".join(self.words)}  # words hold no line breaks: they come from _WORD

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.words = state["words"].split("\n") if state["words"] else []
        self._ids = None


@dataclass(frozen=True)
class TermTable:
    """The term and written-word counts of a list of papers, all in one set of flat arrays."""

    term_ids: np.ndarray  # every paper's term ids, paper after paper
    term_counts: np.ndarray  # and their counts
    terms: np.ndarray  # how many terms each paper has
    token_ids: np.ndarray  # every paper's written words, paper after paper
    token_counts: np.ndarray  # and their counts


class TermStore:
    """Each paper's term and written-word counts, by a hash of its title and abstract."""

    def __init__(self) -> None:
        self.terms = _Vocabulary()
        self.tokens = _Vocabulary()
        self.token_stems: list[str] = []  # by token id: Analyzer.single_stem
        self.stems: dict[str, str | None] = {}
        # text key -> int32 array: [terms, tokens, term ids..., term counts..., token ids..., token counts...]
        self.papers: dict[str, np.ndarray] = {}
        self._analyzer: Analyzer | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = {name: value for name, value in vars(self).items() if name != "_analyzer"}
        # The papers' rows as one array: pickled and unpickled three times faster than 20,000 arrays.
        rows = list(self.papers.values())
        lengths = np.array([len(row) for row in rows], dtype=np.int64)
        state["papers"] = (list(self.papers), lengths, np.concatenate(rows) if rows else np.zeros(0, np.int32))
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        keys, lengths, rows = state.pop("papers")
        ends = np.cumsum(lengths).tolist()
        state["papers"] = {key: rows[start:end] for key, start, end in zip(keys, [0, *ends][:-1], ends, strict=True)}
        vars(self).update(state)
        self._analyzer = None

    def counts(self, paper: Paper, key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """A paper's (term ids, term counts, token ids, token counts), analysing it if it is new."""
        row = self.papers.get(key)
        if row is None:
            row = self.papers[key] = self._analyse(paper)
        terms, tokens = int(row[0]), int(row[1])
        a, b, c = 2 + terms, 2 + 2 * terms, 2 + 2 * terms + tokens
        return row[2:a], row[a:b], row[b:c], row[c:]

    def table(self, papers: Sequence[Paper], keys: Sequence[str]) -> TermTable:
        """The counts of these papers (by their keys, as for `counts`), in order, as one table.

        Cut out of the papers' rows joined into one array: a few NumPy calls instead of four
        slices a paper.
        """
        for paper, key in zip(papers, keys, strict=True):
            if key not in self.papers:
                self.papers[key] = self._analyse(paper)
        rows = [self.papers[key] for key in keys]
        flat = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int32)
        starts = np.cumsum([0, *map(len, rows)])[:-1]
        terms, tokens = flat[starts].astype(np.int64), flat[starts + 1].astype(np.int64)

        def part(offsets: np.ndarray, sizes: np.ndarray) -> np.ndarray:
            """flat[offsets[i] : offsets[i] + sizes[i]] for every paper i, joined."""
            ends = np.cumsum(sizes)
            picked: np.ndarray = flat[
                np.repeat(offsets - (ends - sizes), sizes) + np.arange(ends[-1] if len(ends) else 0)
            ]
            return picked

        return TermTable(
            term_ids=part(starts + 2, terms),
            term_counts=part(starts + 2 + terms, terms),
            terms=terms,
            token_ids=part(starts + 2 + 2 * terms, tokens),
            token_counts=part(starts + 2 + 2 * terms + tokens, tokens),
        )

    def _analyse(self, paper: Paper) -> np.ndarray:
        """Count a paper's terms (its title's TITLE_REPEAT times) and its written words."""
        if self._analyzer is None:
            self._analyzer = Analyzer(self.stems)
        analyzer = self._analyzer
        title, abstract = analyzer.words(paper.title), analyzer.words(paper.abstract)
        terms = Counter(analyzer.terms_of(title) * TITLE_REPEAT + analyzer.terms_of(abstract))
        tokens = Counter(title + abstract)
        term_ids = self.terms.ids(list(terms))
        token_ids = self.tokens.ids(list(tokens))
        for token in self.tokens.words[len(self.token_stems) :]:
            self.token_stems.append(analyzer.single_stem(token))
        return np.array(
            [len(terms), len(tokens), *term_ids, *terms.values(), *token_ids, *tokens.values()], dtype=np.int32
        )

    def keep_only(self, keys: set[str]) -> None:
        """Forget papers no longer in the archive."""
        self.papers = {key: row for key, row in self.papers.items() if key in keys}

    def written_forms(self, token_ids: np.ndarray, token_counts: np.ndarray) -> dict[str, str]:
        """For each stem, the word most often written for it in these counts (ties: alphabetical)."""
        totals = np.bincount(token_ids, weights=token_counts, minlength=len(self.tokens.words))
        best: dict[str, tuple[float, str]] = {}
        for index in np.flatnonzero(totals):
            stem = self.token_stems[index]
            if stem:
                count, word = float(totals[index]), self.tokens.words[index]
                current = best.get(stem)
                if current is None or (-count, word) < (-current[0], current[1]):
                    best[stem] = (count, word)
        return {stem: word for stem, (_, word) in best.items()}
