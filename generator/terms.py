"""Terms for related papers: each paper's stemmed words and two-word phrases, and its words as written.

Words are stemmed (Snowball) and paired into two-word phrases; English and boilerplate research
words are left out; a title's terms count TITLE_REPEAT times. A paper's terms depend on its
title and abstract alone, so the pipeline caches them by that text.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import snowballstemmer

TITLE_REPEAT = 3

# English stop words: scikit-learn's list (ENGLISH_STOP_WORDS, from the Glasgow Information
# Retrieval Group; BSD licence), which this archive's related papers have always used.
ENGLISH_STOP_WORDS = frozenset(
    """
    a about above across after afterwards again against all almost alone along already also although
    always am among amongst amoungst amount an and another any anyhow anyone anything anyway
    anywhere are around as at back be became because become becomes becoming been before beforehand
    behind being below beside besides between beyond bill both bottom but by call can cannot cant co
    con could couldnt cry de describe detail do done down due during each eg eight either eleven
    else elsewhere empty enough etc even ever every everyone everything everywhere except few
    fifteen fifty fill find fire first five for former formerly forty found four from front full
    further get give go had has hasnt have he hence her here hereafter hereby herein hereupon hers
    herself him himself his how however hundred i ie if in inc indeed interest into is it its itself
    keep last latter latterly least less ltd made many may me meanwhile might mill mine more
    moreover most mostly move much must my myself name namely neither never nevertheless next nine
    no nobody none noone nor not nothing now nowhere of off often on once one only onto or other
    others otherwise our ours ourselves out over own part per perhaps please put rather re same see
    seem seemed seeming seems serious several she should show side since sincere six sixty so some
    somehow someone something sometime sometimes somewhere still such system take ten than that the
    their them themselves then thence there thereafter thereby therefore therein thereupon these
    they thick thin third this those though three through throughout thru thus to together too top
    toward towards twelve twenty two un under until up upon us very via was we well were what
    whatever when whence whenever where whereafter whereas whereby wherein whereupon wherever
    whether which while whither who whoever whole whom whose why will with within without would yet
    you your yours yourself yourselves
    """.split()
)
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
STOP_WORDS = ENGLISH_STOP_WORDS | DOMAIN_STOP_WORDS
# Words, with hyphenated compounds as one word ("fine-tuning" meets "finetuning").
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class Analyzer:
    """Turns text into stemmed words and two-word phrases; remembers each word's stems."""

    def __init__(self) -> None:
        self._stemmer = snowballstemmer.stemmer("english")
        self._stems: dict[str, str | None] = {}  # word -> stem
        self._tokens: dict[str, tuple[tuple[str | None, str], ...]] = {}
        self._token_stems: dict[str, tuple[str | None, ...]] = {}  # token -> its stems, for terms_of

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

    def single_stem(self, token: str) -> str:
        """The stem a one-part token stands for ("" for compounds split in parts and stop words)."""
        found = self.token(token)
        return (found[0][0] or "") if len(found) == 1 else ""


@dataclass(frozen=True)
class PaperTerms:
    """A paper's terms with their counts (its title's counted TITLE_REPEAT times), and its
    written words; kept small, to be quick to cache: the terms joined by line breaks (terms
    hold none), the counts as int32 bytes in the same order, the words joined by spaces."""

    terms: str
    counts: bytes
    words: str  # every word of its title and abstract, in order


_ANALYZER = Analyzer()


def paper_terms(title: str, abstract: str) -> PaperTerms:
    """Count a paper's terms and keep its written words."""
    title_words, abstract_words = Analyzer.words(title), Analyzer.words(abstract)
    counts = Counter(_ANALYZER.terms_of(title_words) * TITLE_REPEAT + _ANALYZER.terms_of(abstract_words))
    return PaperTerms(
        terms="\n".join(counts),
        counts=np.fromiter(counts.values(), dtype=np.int32, count=len(counts)).tobytes(),
        words=" ".join(title_words + abstract_words),
    )


def written_forms(papers: list[PaperTerms]) -> dict[str, str]:
    """For each stem, the word most often written for it in these papers (ties: alphabetical)."""
    totals = Counter(" ".join(p.words for p in papers).split())
    best: dict[str, tuple[int, str]] = {}
    for word, count in totals.items():
        stem = _ANALYZER.single_stem(word)
        if stem:
            current = best.get(stem)
            if current is None or (-count, word) < (-current[0], current[1]):
                best[stem] = (count, word)
    return {stem: word for stem, (_, word) in best.items()}
