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

All of them merge into one table (word or emoticon -> score on VADER's -4..+4 scale), so
the weights the model learns for "lexicon says positive" carry over from words seen in
training to emoticons, emoji and French words that never occurred in the training set.
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

FEATURE_NAMES = (
    "lex:pos",
    "lex:neg",
    "lex:n_pos",
    "lex:n_neg",
    "lex:max",
    "lex:min",
    "lex:last",
    "lex:compound",
    "lex:negated",
)


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
    hits = lexicon_scores(tokens, table)
    if not hits:
        return [0.0] * len(FEATURE_NAMES)
    values = [s for s, _ in hits]
    pos = sum(s for s in values if s > 0)
    neg = -sum(s for s in values if s < 0)
    total = pos - neg
    return [
        math.log1p(pos / 4.0),
        math.log1p(neg / 4.0),
        math.log1p(sum(1 for s in values if s > 0)),
        math.log1p(sum(1 for s in values if s < 0)),
        max(max(values), 0.0) / 4.0,
        min(min(values), 0.0) / 4.0,
        values[-1] / 4.0,
        total / math.sqrt(total * total + 15.0),  # VADER's "compound" squashing
        math.log1p(sum(1 for _, negated in hits if negated)),
    ]


class LexiconFeatures(TransformerMixin, BaseEstimator):
    """Lexicon prior features of tokenised tweets (dense, ``len(FEATURE_NAMES)`` columns).

    ``scale`` multiplies every feature: it sets how strongly the L2 penalty of the
    classifier holds the prior back relative to the TF-IDF features.
    """

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def fit(self, docs: Iterable[Tokens], y: object = None) -> LexiconFeatures:
        self.n_features_in_ = 1
        return self

    def transform(self, docs: Iterable[Tokens]) -> np.ndarray:
        table = combined_lexicon()
        rows = np.array([lexicon_row(doc, table) for doc in docs], dtype=np.float32)
        return rows.reshape(-1, len(FEATURE_NAMES)) * np.float32(self.scale)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.array(FEATURE_NAMES, dtype=object)
