"""Refreshing the annotation queue's order as labels accumulate (`manage.py refresh_queue`).

The queue serves open tweets by their stored `queue_priority` (services/queue.py). This module
rewrites it in bulk, off the request path:

- with labels of at least two kinds, a cheap model is refitted for the queue (the product's
  vectorizer fitted without labels on the labelled tweets and a sample of open ones, and its
  classifier at a fixed C: seconds, where a full retrain searches C and calibrates), every
  open tweet is scored in chunks and `sampling.queue_priority` orders them (smallest margin
  first);
- before that (cold start), `sampling.cold_priority` orders them at random.

docs/active-learning.md measures these orders, and the others tried, against random labelling.
`refresh_if_needed` runs the refresh when REFRESH_EVERY labels were added since the last one,
or open tweets have no priority yet (a new import); cron calls it (settings.CRONJOBS).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
from django.conf import settings
from django.utils import timezone

from sentiment.ml import sampling
from sentiment.ml.features import build_vectorizer
from sentiment.ml.train import make_classifier
from sentiment.models import Tweet
from sentiment.services.queue import open_tweets
from sentiment.services.tweets import iter_values

# New labels after which the queue's model is refitted: a refit every 250-500 labels is what
# bench/active_learning.py simulates.
REFRESH_EVERY = 300
# Labelled tweets the queue's model learns from (the most recent): enough for a useful order,
# few enough to refit in seconds.
TRAIN_MAX = 20_000
# Open tweets, besides the labelled ones, the vectorizer sees (its vocabulary and weights).
VOCABULARY_SAMPLE = 20_000
C = 1.0
CHUNK = 20_000
WRITE_BATCH = 2_000
STATE_FILE = "queue-refresh.json"


@dataclass
class Refresh:
    mode: str  # "model", or "random" before there are labels of two kinds (cold start)
    labelled: int
    ordered: int
    seconds: float
    at: str


def _state_path():
    return settings.SENTIMENT_MODEL_DIR / STATE_FILE


def last_refresh() -> Refresh | None:
    try:
        return Refresh(**json.loads(_state_path().read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def refresh_needed() -> str | None:
    """Why the queue's order should be refreshed now, or None."""
    last = last_refresh()
    if last is None:
        return "never refreshed"
    if open_tweets().filter(queue_priority__isnull=True).exists():
        return "open tweets without a priority"
    new = Tweet.objects.labelled().count() - last.labelled
    if new >= REFRESH_EVERY:
        return f"{new:,} new labels"
    return None


def refresh_if_needed(progress: Callable[[str], None] | None = None) -> Refresh | None:
    return refresh(progress=progress) if refresh_needed() else None


def refresh(*, seed: int | None = None, progress: Callable[[str], None] | None = None) -> Refresh:
    """Rewrite the queue priority of every open tweet; returns what was done."""
    started = time.perf_counter()
    say = progress or (lambda line: None)
    rng = np.random.default_rng(seed)
    labelled = list(
        Tweet.objects.labelled().order_by("-pk").values_list("text", "label")[:TRAIN_MAX]
    )
    n_labelled = Tweet.objects.labelled().count()
    rows = list(iter_values(open_tweets(), ("text",), chunk=CHUNK))
    pks = np.array([pk for pk, _ in rows], dtype=np.int64)
    texts = [text for _, text in rows]
    del rows
    kinds = {label for _, label in labelled}
    if len(kinds) >= 2 and texts:
        say(f"fitting the queue's model on {len(labelled):,} labelled tweets")
        train_texts = [t for t, _ in labelled]
        sample = [texts[i] for i in rng.permutation(len(texts))[:VOCABULARY_SAMPLE]]
        vectorizer = build_vectorizer(len(train_texts) + len(sample))
        vectorizer.fit(train_texts + sample)
        classifier = make_classifier(C, n_classes=len(kinds), n_samples=len(train_texts))
        classifier.fit(vectorizer.transform(train_texts), [label for _, label in labelled])
        priority = np.concatenate(
            [
                sampling.queue_priority(
                    classifier.predict_proba(vectorizer.transform(texts[i : i + CHUNK]))
                )
                for i in range(0, len(texts), CHUNK)
            ]
        )
        mode = "model"
    else:
        priority = sampling.cold_priority(len(texts), rng)
        mode = "random"
    say(f"writing the priority of {len(pks):,} open tweets")
    _store(pks, priority)
    done = Refresh(
        mode=mode,
        labelled=n_labelled,
        ordered=len(pks),
        seconds=round(time.perf_counter() - started, 2),
        at=timezone.now().isoformat(timespec="seconds"),
    )
    path = _state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(done)), encoding="utf-8")
    return done


def _store(pks: np.ndarray, priority: np.ndarray) -> None:
    # bulk_update writes a batch in one UPDATE … CASE statement: no per-row round trip.
    for start in range(0, len(pks), WRITE_BATCH):
        batch = [
            Tweet(pk=int(pk), queue_priority=float(p))
            for pk, p in zip(
                pks[start : start + WRITE_BATCH], priority[start : start + WRITE_BATCH], strict=True
            )
        ]
        Tweet.objects.bulk_update(batch, ["queue_priority"])
