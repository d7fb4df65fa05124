"""Which unlabelled tweets to annotate next: the most uncertain first, near-duplicates apart.

Plain Python, no Django: the annotation queue (`sentiment.services.queue`) and the active
learning benchmark (`bench/active_learning.py`) call the same functions, so the benchmark
measures the order annotators actually get.

Uncertainty sampling alone keeps serving the same story when retweets and template tweets
("I'm at … http://…", giveaways) sit together at the top: they have the same words, so the
same score. Each candidate is therefore compared with the tweets chosen just before it, and one
whose word bigrams overlap too much with any of them waits for later.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Sequence
from itertools import pairwise
from typing import TypeVar

import numpy as np

from sentiment.ml.normalize import plain_text, tokenize

Key = TypeVar("Key", bound=Hashable)

# Jaccard similarity of word bigrams from which two tweets count as near-duplicates: a retweet,
# the same text with another link or number, or one word changed in a 10-word tweet.
NEAR_DUPLICATE = 0.5
# How many candidates, for each tweet wanted, are read in the queue's order before choosing:
# enough to step over a run of near-duplicates, small enough to stay one cheap query.
WINDOW_PER_TWEET = 4
MIN_WINDOW = 50

_RETWEET = re.compile(r"^\s*rt\b|\brt\s+(?=user\b)")
_NOT_WORD = re.compile(r"[^\w]+")


def uncertainty(proba: np.ndarray) -> np.ndarray:
    """Least confidence, per row of predicted probabilities: 0 when the model is sure."""
    return np.round(1.0 - proba.max(axis=1), 4)


def shingles(text: str) -> frozenset[str]:
    """The tweet's word bigrams after normalisation (links, mentions, numbers, case, "RT")."""
    normal = plain_text(tokenize(text, negation=False)).lower()
    words = _NOT_WORD.sub(" ", _RETWEET.sub(" ", normal)).split()
    if len(words) < 2:
        return frozenset(words)
    return frozenset(f"{a} {b}" for a, b in pairwise(words))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 1.0 if a == b else 0.0
    return len(a & b) / len(a | b)


def window_size(k: int) -> int:
    """Candidates to read, in the queue's order, to choose `k` tweets."""
    return max(MIN_WINDOW, WINDOW_PER_TWEET * k)


def pick_diverse(
    candidates: Sequence[tuple[Key, str]],
    k: int,
    *,
    recent: Iterable[str] = (),
    threshold: float = NEAR_DUPLICATE,
) -> list[Key]:
    """Up to `k` keys from `candidates`, which come in priority order (most uncertain first).

    A candidate that is a near-duplicate of one already picked, or of a `recent` text (what
    the annotator saw just before), is passed over. If that leaves fewer than `k`, the passed
    over ones fill the rest in their order: a queue made only of near-duplicates still serves.
    """
    if k <= 0:
        return []
    seen = [s for s in (shingles(text) for text in recent) if s]
    picked: list[Key] = []
    passed: list[Key] = []
    for key, text in candidates:
        own = shingles(text)
        if any(similarity(own, other) >= threshold for other in seen):
            passed.append(key)
            continue
        picked.append(key)
        seen.append(own)
        if len(picked) == k:
            return picked
    return picked + passed[: k - len(picked)]


def most_uncertain(
    keys: Sequence[Key],
    texts: Sequence[str],
    scores: np.ndarray,
    k: int,
    *,
    diverse: bool = True,
) -> list[Key]:
    """The queue's choice of `k` among a pool: the most uncertain, near-duplicates apart.

    The pool is ranked by `scores` (uncertainty, highest first, ties by position), the top
    `window_size(k)` are read, and `pick_diverse` chooses among them, as the annotation queue
    does on its database window.
    """
    order = np.lexsort((np.arange(len(keys)), -np.asarray(scores)))
    top = order[: window_size(k)] if diverse else order[:k]
    if not diverse:
        return [keys[i] for i in top]
    return pick_diverse([(keys[i], texts[i]) for i in top], k)
