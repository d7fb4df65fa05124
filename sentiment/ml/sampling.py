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


# --- Queue priorities -------------------------------------------------------------------------
# The annotation queue serves tweets by a stored priority, highest first. The functions below
# turn a cheap model's probabilities (or, before any model, the lexicon prior) into that
# priority; bench/active_learning.py measures each order against random labelling with the
# same functions. Every priority is a float array, one per tweet, comparable across tweets.

LABELS = ("negative", "neutral", "positive")
# VADER's own thresholds on its "compound" score for calling a text positive or negative.
LEXICON_THRESHOLD = 0.05


def lexicon_labels(compound: np.ndarray) -> np.ndarray:
    """The lexicon prior's label per tweet (index into LABELS) from its compound score."""
    compound = np.asarray(compound, dtype=float)
    out = np.ones(len(compound), dtype=int)
    out[compound >= LEXICON_THRESHOLD] = 2
    out[compound <= -LEXICON_THRESHOLD] = 0
    return out


def margin(proba: np.ndarray) -> np.ndarray:
    """1 minus the gap between the two most probable labels: 1 when the model hesitates."""
    top = np.sort(proba, axis=1)
    return 1.0 - (top[:, -1] - top[:, -2])


def entropy(proba: np.ndarray) -> np.ndarray:
    """Entropy of the predicted distribution, divided by its maximum (0..1)."""
    p = np.clip(proba, 1e-12, 1.0)
    return -(p * np.log(p)).sum(axis=1) / np.log(proba.shape[1])


def balanced(score: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Priority that takes the best-scored tweet of each group in turn (round robin).

    The integer part is minus the tweet's rank within its group, so the first tweets served
    hold as many of each group as there are groups; the score breaks ties between groups.
    Used with the predicted label as the group, the rarest label is not starved.
    """
    score = np.asarray(score, dtype=float)
    groups = np.asarray(groups)
    rank = np.empty(len(score), dtype=float)
    for g in np.unique(groups):
        members = np.flatnonzero(groups == g)
        order = members[np.argsort(-score[members], kind="stable")]
        rank[order] = np.arange(len(order))
    span = np.ptp(score) if len(score) else 0.0
    scaled = (score - score.min()) / span if span > 0 else np.zeros_like(score)
    return -rank + 0.5 * scaled


def mix_random(priority: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """Move a random `share` of tweets to random places in the order (epsilon mixing).

    Served in that order, about `share` of any first k tweets are uniform random picks: the
    queue keeps seeing the whole pool, not only the model's current doubts.
    """
    n = len(priority)
    position = np.empty(n, dtype=float)
    position[np.argsort(-np.asarray(priority), kind="stable")] = np.arange(n)
    moved = rng.random(n) < share
    position[moved] = rng.uniform(0, n, int(moved.sum()))
    return -position


def disagreement(proba: np.ndarray, classes: Sequence[str], lexicon: np.ndarray) -> np.ndarray:
    """How little the model believes the lexicon's label, averaged with its margin (0..1)."""
    column = {label: i for i, label in enumerate(classes)}
    index = np.array([column.get(LABELS[k], -1) for k in lexicon])
    believed = np.where(index >= 0, proba[np.arange(len(proba)), np.maximum(index, 0)], 0.0)
    return 0.5 * margin(proba) + 0.5 * (1.0 - believed)


def queue_priority(proba: np.ndarray) -> np.ndarray:
    """The "priority" order once a model exists: smallest margin first.

    Of the orders docs/active-learning.md measures, the only one never worse than random by
    more than the seeds' spread on either data set, and the one that saves the most labels
    (12 to 19% at 5,000 labels): short of the 25% that would make it the default.
    """
    return margin(proba)


def cold_priority(n: int, rng: np.random.Generator) -> np.ndarray:
    """The "priority" order before any model: uniformly at random.

    Lexicon-balanced and cluster-balanced first labels were measured too (cold start tables
    in docs/active-learning.md): neither beat random. Stored, a random priority still avoids
    table order (one import's tweets in a row) that the queue would otherwise serve.
    """
    return rng.random(n)
