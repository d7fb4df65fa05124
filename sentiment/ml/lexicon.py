"""Sentiment lexicons and the lexicon prior features.

The lexicons come from data files shipped inside installed PyPI packages and are read in
place, without importing the packages' code (no network, no side effects):

* ``vaderSentiment`` (MIT): ``vader_lexicon.txt`` - 7,500 English words, slang and
  emoticons rated -4..+4 by humans; ``emoji_utf8_lexicon.txt`` - emoji -> English
  description, scored here with the word lexicon the way VADER itself does;
* ``vaderSentiment-fr`` (MIT): ``fr_lexicon.txt`` - VADER's lexicon translated into French
  by hand and inflected, 9,000 entries on the same -4..+4 scale. Only this data file is
  used: install the package with ``--no-deps`` (its code needs unidecode and fuzzywuzzy,
  both GPL, which the model never imports).

* ``afinn`` (word lists under the ODbL 1.0; the package's code, GPL, is never imported):
  ``AFINN-en-165.txt`` - 3,300 English words rated -5..+5 by Finn Årup Nielsen, many of
  them from Twitter (``AFINN-emoticon-8.txt`` adds emoticons).

* the opinion lexicon of Minqing Hu and Bing Liu (2004), shipped here in
  ``sentiment/ml/lexicons/`` (no PyPI package carries it under a stated licence; its creators
  allow research and commercial use with attribution): 6,800 English words, misspellings
  frequent on social media included, each only positive or negative.

VADER's tables merge into one (word or emoticon -> score on VADER's -4..+4 scale), so the
weights the model learns for "lexicon says positive" carry over from words seen in training
to emoticons, emoji and French words that never occurred in the training set. AFINN and Hu
and Liu's list give a second and a third opinion, in features of their own (``afinn:*``,
``huliu:*``): where the lexicons disagree or only some know a word, the classifier learns how
much to trust each.
"""

from __future__ import annotations

import functools
import importlib.resources
import importlib.util
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from .normalize import ELONG, NEG_SUFFIX, Tokens, strip_accents

# VADER's own dampening of a negated word ("not good" is mildly negative, not -good).
NEGATION_FLIP = -0.74
# Emoji whose English description scores wrong with a word lexicon ("broken heart" would
# be positive through "heart"; "thumbs up" has no rated word); values on VADER's scale.
_EMOJI_OVERRIDES = {
    "💔": -2.5,
    "👍": 1.8,
    "👎": -1.8,
    "🙏": 1.2,
    "👏": 1.8,
    "💯": 1.8,
    "🙄": -1.2,
    "😒": -1.5,
    "😩": -1.8,
    "😤": -1.8,
    "🤔": 0.0,
    "💀": 0.5,
    "🔥": 1.0,
    "✨": 1.0,
    "🎉": 2.0,
    "👌": 1.5,
    "💪": 1.5,
    "🤣": 2.5,
    "😅": 0.8,
    "🤦": -1.5,
}
_WORD_RE = re.compile(r"[a-z]+")
_DOUBLE_RE = re.compile(r"([^\W\d_])\1")

_ROW_NAMES = ("pos", "neg", "n_pos", "n_neg", "max", "min", "last", "compound", "negated")
# The features of one table (``lexicon_row``), and those of LexiconFeatures with AFINN.
FEATURE_NAMES = tuple(f"lex:{name}" for name in _ROW_NAMES)
AFINN_FEATURE_NAMES = tuple(f"afinn:{name}" for name in _ROW_NAMES)
HULIU_FEATURE_NAMES = tuple(f"huliu:{name}" for name in _ROW_NAMES)
# A word of Hu and Liu's lists, on VADER's scale: a plain opinion word ("good" 1.9, "bad" -2.5).
HULIU_SCORE = 2.0


def _package_dir(package: str) -> Path:
    # find_spec locates the package folder without executing its __init__, so none of the
    # packages' code (or its dependencies) is imported.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"package {package!r} is required for the sentiment lexicon")
    return Path(next(iter(spec.submodule_search_locations)))


@functools.cache
def vader_lexicon() -> dict[str, float]:
    """English words, slang and emoticons -> mean human rating (-4..+4)."""
    table: dict[str, float] = {}
    path = _package_dir("vaderSentiment") / "vader_lexicon.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            table[parts[0]] = float(parts[1])  # later duplicates win, as in VADER
    return table


@functools.cache
def emoji_lexicon() -> dict[str, float]:
    """Emoji -> score, from the summed word ratings of its English description."""
    words = vader_lexicon()
    table: dict[str, float] = {}
    path = _package_dir("vaderSentiment") / "emoji_utf8_lexicon.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        emoji, _, description = line.partition("\t")
        score = sum(words.get(w, 0.0) for w in _WORD_RE.findall(description.lower()))
        if score:
            table[emoji.replace("\ufe0f", "")] = max(-4.0, min(4.0, score))
    table.update(_EMOJI_OVERRIDES)
    return table


@functools.cache
def french_lexicon() -> dict[str, float]:
    """French words -> rating (-4..+4); also keyed without accents, often dropped in tweets."""
    table: dict[str, float] = {}
    path = _package_dir("vaderSentiment_fr") / "fr_lexicon.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        word, _, score = line.rpartition("->")
        if word and not word[0].isalpha():
            continue  # its emoticon entries duplicate VADER's
        try:
            table[word.lower()] = float(score)
        except ValueError:
            continue
    for word, value in list(table.items()):
        table.setdefault(strip_accents(word), value)
    return table


@functools.cache
def combined_lexicon() -> dict[str, float]:
    """One table for every language: French entries, then English, emoticons and emoji.

    English wins on the few spellings present in both (VADER's ratings are human ones).
    """
    table = dict(french_lexicon())
    table.update(vader_lexicon())
    table.update(emoji_lexicon())
    return table


@functools.cache
def afinn_lexicon() -> dict[str, float]:
    """AFINN's English words and emoticons -> rating, rescaled from -5..+5 to -4..+4.

    Its multi-word entries ("not good", "cool stuff") are left out: the features look at
    one token at a time, and negation is marked on the tokens already.
    """
    table: dict[str, float] = {}
    folder = _package_dir("afinn") / "data"
    for name in ("AFINN-emoticon-8.txt", "AFINN-en-165.txt"):
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            word, _, score = line.rpartition("\t")
            if word and " " not in word:
                table[word.lower()] = float(score) * 0.8  # tokens are lower case
    return table


@functools.cache
def hu_liu_lexicon() -> dict[str, float]:
    """Hu and Liu's opinion words -> +HULIU_SCORE (positive) or -HULIU_SCORE (negative).

    The few words of both lists ("envious") are left out. Read through importlib.resources,
    so that it is found in a zip of the package too (Spark's executors import one).
    """
    folder = importlib.resources.files(__package__) / "lexicons"
    lists: dict[float, set[str]] = {}
    for sign, name in ((1.0, "positive-words.txt"), (-1.0, "negative-words.txt")):
        text = (folder / name).read_text(encoding="utf-8")
        lists[sign] = {w for w in text.splitlines() if w and not w.startswith(";")}
    both = lists[1.0] & lists[-1.0]
    return {w: sign * HULIU_SCORE for sign, words in lists.items() for w in words - both}


def lexicon_row(tokens: Tokens, table: dict[str, float]) -> list[float]:
    """The lexicon prior features of one tweet against one table, each roughly within -1..+1
    (``FEATURE_NAMES``)."""

    def lookup(word: str) -> tuple[float] | None:
        score = table.get(word)
        return None if score is None else (score,)

    segments, scores, negated, _ = _hits_by_table([tokens], lookup, 1)
    return _rows(segments, scores, negated, 1)[0].tolist()


# The tables of the lexicon prior, in the order of their features.
_TABLES: dict[str, Callable[[], dict[str, float]]] = {
    "lex": combined_lexicon,
    "afinn": afinn_lexicon,
    "huliu": hu_liu_lexicon,
}
# Every lexicon prior feature's name starts with one of these.
FEATURE_PREFIXES = tuple(f"{name}:" for name in _TABLES)


@functools.cache
def _merged_lexicon(names: tuple[str, ...]) -> dict[str, tuple[float | None, ...]]:
    tables = [_TABLES[name]() for name in names]
    words = set().union(*tables)
    return {word: tuple(table.get(word) for table in tables) for word in words}


def _hits_by_table(
    docs: Iterable[Tokens],
    lookup: Callable[[str], tuple[float | None, ...] | None],
    n_tables: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The lexicon hits of every tweet in each of ``n_tables`` tables, in one pass over the
    tokens (the scoring path pays for each pass), as the arguments of ``_rows``: the hits of
    tweet d in table t make up the list ``d * n_tables + t``.

    ``lookup(word)`` gives the word's score in each table (None where a table lacks it), or
    None if no table has it. A negated word's score is flipped and damped as VADER does; an
    elongated tweet's words unknown to a table are looked up again with their doubled
    letters cut ("goood" was cut to "good" by the tokenizer; "coool" -> "cool" needs one
    more cut).
    """
    segments: list[int] = []
    scores: list[float] = []
    negations: list[bool] = []
    n_docs = 0
    for n_docs, tokens in enumerate(docs, 1):
        first = (n_docs - 1) * n_tables
        elongated = ELONG in tokens.flags
        for word in tokens.words:
            negated = word.endswith(NEG_SUFFIX)
            if negated:
                word = word[: -len(NEG_SUFFIX)]
            found = lookup(word)
            if elongated and len(word) > 3 and (found is None or None in found):
                cut = lookup(_DOUBLE_RE.sub(r"\1", word))
                if cut is not None:
                    known = found or (None,) * n_tables
                    found = tuple(c if s is None else s for s, c in zip(known, cut, strict=True))
            if found is None:
                continue
            for t, score in enumerate(found):
                if score is not None:
                    segments.append(first + t)
                    scores.append(score * NEGATION_FLIP if negated else score)
                    negations.append(negated)
    return (
        np.array(segments, dtype=np.intp),
        np.array(scores, dtype=np.float64),
        np.array(negations, dtype=bool),
        n_docs,
    )


def _rows(
    segments: np.ndarray, scores: np.ndarray, negated: np.ndarray, n_lists: int
) -> np.ndarray:
    """The features (``_ROW_NAMES``) of ``n_lists`` lists of hits at once: hit i, of score
    ``scores[i]``, is in the list ``segments[i]``, and a list's hits are in token order.

    Computed for a whole request in numpy: a Python loop per tweet and table cost more than
    the lookups themselves. An empty list has every feature 0.
    """
    positive, negative = scores > 0, scores < 0
    pos = np.bincount(segments, np.where(positive, scores, 0.0), n_lists)
    neg = np.bincount(segments, np.where(negative, -scores, 0.0), n_lists)
    high, low, last = np.zeros(n_lists), np.zeros(n_lists), np.zeros(n_lists)
    np.maximum.at(high, segments, scores)
    np.minimum.at(low, segments, scores)
    if len(segments):
        # Each list's last hit: the last of its run once the hits are stably sorted by list.
        order = np.argsort(segments, kind="stable")
        ordered = segments[order]
        ends = order[np.append(ordered[1:] != ordered[:-1], True)]
        last[segments[ends]] = scores[ends]
    total = pos - neg
    return np.column_stack(
        [
            np.log1p(pos / 4.0),
            np.log1p(neg / 4.0),
            np.log1p(np.bincount(segments, positive, n_lists)),
            np.log1p(np.bincount(segments, negative, n_lists)),
            high / 4.0,
            low / 4.0,
            last / 4.0,
            total / np.sqrt(total * total + 15.0),  # VADER's "compound" squashing
            np.log1p(np.bincount(segments, negated, n_lists)),
        ]
    )


class LexiconFeatures(TransformerMixin, BaseEstimator):
    """Lexicon prior features of tokenised tweets (dense): ``FEATURE_NAMES`` from VADER's
    merged table, then, with ``afinn``, ``AFINN_FEATURE_NAMES`` from AFINN's and, with
    ``huliu``, ``HULIU_FEATURE_NAMES`` from Hu and Liu's opinion words.

    ``scale`` multiplies every feature: it sets how strongly the L2 penalty of the
    classifier holds the prior back relative to the TF-IDF features.
    """

    # Models saved before AFINN, or Hu and Liu's words, joined have no such attribute: they
    # were fitted without them.
    afinn = False
    huliu = False

    def __init__(self, scale: float = 1.0, afinn: bool = True, huliu: bool = True) -> None:
        self.scale = scale
        self.afinn = afinn
        self.huliu = huliu

    def _tables(self) -> tuple[str, ...]:
        names = ["lex"]
        if self.afinn:
            names.append("afinn")
        if self.huliu:
            names.append("huliu")
        return tuple(names)

    def fit(self, docs: Iterable[Tokens], y: object = None) -> LexiconFeatures:
        self.n_features_in_ = 1
        return self

    def transform(self, docs: Iterable[Tokens]) -> np.ndarray:
        names = self._tables()
        lookup = _merged_lexicon(names).get
        segments, scores, negated, n_docs = _hits_by_table(docs, lookup, len(names))
        rows = _rows(segments, scores, negated, n_docs * len(names))
        matrix = rows.reshape(n_docs, len(names) * len(_ROW_NAMES)).astype(np.float32)
        return matrix * np.float32(self.scale)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.array(
            [f"{t}:{name}" for t in self._tables() for name in _ROW_NAMES], dtype=object
        )
