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

VADER's tables merge into one (word or emoticon -> score on VADER's -4..+4 scale), so the
weights the model learns for "lexicon says positive" carry over from words seen in training
to emoticons, emoji and French words that never occurred in the training set. AFINN gives a
second, independent opinion in features of its own (``afinn:*``): where the two lexicons
disagree or only one knows a word, the classifier learns how much to trust each.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import re
from collections.abc import Iterable
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


def lexicon_scores(tokens: Tokens, table: dict[str, float]) -> list[tuple[float, bool]]:
    """Scores of the tokens found in the lexicon, with negation applied, and a negated flag."""
    hits = []
    elongated = ELONG in tokens.flags
    for word in tokens.words:
        negated = word.endswith(NEG_SUFFIX)
        if negated:
            word = word[: -len(NEG_SUFFIX)]
        score = table.get(word)
        if score is None and elongated and len(word) > 3:
            # "goood" was cut to "good" by the tokenizer; "coool" -> "cool" needs one more cut.
            score = table.get(_DOUBLE_RE.sub(r"\1", word))
        if score is not None:
            hits.append((score * NEGATION_FLIP if negated else score, negated))
    return hits


def lexicon_row(tokens: Tokens, table: dict[str, float]) -> list[float]:
    """The lexicon prior features of one tweet, each roughly within -1..+1 (FEATURE_NAMES)."""
    return _row(lexicon_scores(tokens, table))


@functools.cache
def _paired_lexicon() -> dict[str, tuple[float | None, float | None]]:
    vader, afinn = combined_lexicon(), afinn_lexicon()
    return {word: (vader.get(word), afinn.get(word)) for word in vader.keys() | afinn.keys()}


def _paired_scores(tokens: Tokens) -> tuple[list[tuple[float, bool]], list[tuple[float, bool]]]:
    """``lexicon_scores`` against VADER's merged table and against AFINN's, in one pass over
    the tokens (the scoring path pays for each pass)."""
    table = _paired_lexicon()
    hits: tuple[list[tuple[float, bool]], list[tuple[float, bool]]] = ([], [])
    elongated = ELONG in tokens.flags
    for word in tokens.words:
        negated = word.endswith(NEG_SUFFIX)
        if negated:
            word = word[: -len(NEG_SUFFIX)]
        pair = table.get(word)
        if elongated and len(word) > 3 and (pair is None or None in pair):
            # As lexicon_scores does, table by table: the cut word where the word is unknown.
            cut = table.get(_DOUBLE_RE.sub(r"\1", word))
            if cut is not None and pair is None:
                pair = cut
            elif cut is not None and pair is not None:
                vader, afinn = pair
                pair = (cut[0] if vader is None else vader, cut[1] if afinn is None else afinn)
        if pair is not None:
            for found, score in zip(hits, pair, strict=True):
                if score is not None:
                    found.append((score * NEGATION_FLIP if negated else score, negated))
    return hits


def _row(hits: list[tuple[float, bool]]) -> list[float]:
    if not hits:
        return [0.0] * len(FEATURE_NAMES)
    # One loop, not a pass per feature: the scoring path computes two rows per tweet.
    pos = neg = 0.0
    n_pos = n_neg = n_negated = 0
    for score, negated in hits:
        if score > 0:
            pos += score
            n_pos += 1
        elif score < 0:
            neg -= score
            n_neg += 1
        n_negated += negated
    values = [score for score, _ in hits]
    total = pos - neg
    return [
        math.log1p(pos / 4.0),
        math.log1p(neg / 4.0),
        math.log1p(n_pos),
        math.log1p(n_neg),
        max(max(values), 0.0) / 4.0,
        min(min(values), 0.0) / 4.0,
        values[-1] / 4.0,
        total / math.sqrt(total * total + 15.0),  # VADER's "compound" squashing
        math.log1p(n_negated),
    ]


class LexiconFeatures(TransformerMixin, BaseEstimator):
    """Lexicon prior features of tokenised tweets (dense): ``FEATURE_NAMES`` from VADER's
    merged table, then, with ``afinn``, ``AFINN_FEATURE_NAMES`` from AFINN's.

    ``scale`` multiplies every feature: it sets how strongly the L2 penalty of the
    classifier holds the prior back relative to the TF-IDF features.
    """

    # Models saved before AFINN joined have no such attribute: they were fitted without it.
    afinn = False

    def __init__(self, scale: float = 1.0, afinn: bool = True) -> None:
        self.scale = scale
        self.afinn = afinn

    def fit(self, docs: Iterable[Tokens], y: object = None) -> LexiconFeatures:
        self.n_features_in_ = 1
        return self

    def transform(self, docs: Iterable[Tokens]) -> np.ndarray:
        if self.afinn:
            rows = [_row(vader) + _row(afinn) for vader, afinn in map(_paired_scores, docs)]
        else:
            table = combined_lexicon()
            rows = [lexicon_row(doc, table) for doc in docs]
        matrix = np.array(rows, dtype=np.float32).reshape(-1, len(self.get_feature_names_out()))
        return matrix * np.float32(self.scale)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        names = FEATURE_NAMES + AFINN_FEATURE_NAMES if self.afinn else FEATURE_NAMES
        return np.array(names, dtype=object)
