"""The annotation queue: which tweet a person labels next, and how many are left.

Each call is one indexed query: the open tweets (unlabelled, and with fewer annotations than
wanted) that this person has not annotated, read in the order of an index, LIMIT a small
window; `sentiment.ml.sampling` then chooses among that window so that no tweet comes right
after a near-duplicate of itself. Orders (docs/active-learning.md measures them):

- "priority": the stored queue priority (`tweets_priority_idx`), highest first. `refresh`
  rewrites it in bulk, run by `manage.py refresh_queue` (cron, every few hundred new labels):
  the smallest margin of a cheap model refitted on the labels so far, random before any;
- "uncertain": the active model's stored uncertainty (`tweets_queue_idx`), refreshed after
  every activation (services/scoring.py);
- "random" (the default): the window starts at a random id.

Choosing calls no model.

The model's suggestion and top terms for the tweets served come from the serving model
(services/registry.py): a few tweets per request.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence

from django.contrib.auth.models import User
from django.db.models import Exists, F, Max, Min, OuterRef, QuerySet

from sentiment.ml.sampling import pick_diverse, window_size
from sentiment.models import Annotation, Tweet
from sentiment.services.registry import ModelUnavailable, registry

ORDERS = ("priority", "uncertain", "random")
# The order the annotation page opens in. docs/active-learning.md measured no order that saves
# 25% of the labels over random on both data sets; "priority" saves 12-19% at 5,000 labels.
DEFAULT_ORDER = "random"
# "Left" is counted up to this many; beyond, the page says "more than". A bounded count reads
# at most this many index entries, where an exact one would read every unlabelled tweet.
LEFT_CAP = 1000
TOP_TERMS = 6


def open_tweets() -> QuerySet:
    """Tweets that still want an annotation."""
    return Tweet.objects.filter(label="", annotation_count__lt=F("annotations_wanted"))


def next_tweets(
    user: User,
    *,
    count: int = 1,
    order: str = DEFAULT_ORDER,
    exclude: Collection[int] = (),
    recent: Sequence[int] = (),
) -> list[Tweet]:
    """Up to `count` tweets for `user` to annotate next.

    `exclude`: tweets not to serve (on screen, prefetched, skipped); `recent`: tweets just
    shown, which the next ones must not nearly duplicate (with `exclude`).
    """
    if count <= 0:
        return []
    mine = Annotation.objects.filter(tweet=OuterRef("pk"), annotator_id=user.pk)
    candidates = open_tweets().filter(~Exists(mine))
    if exclude:
        candidates = candidates.exclude(pk__in=list(exclude))
    window = window_size(count)
    if order == "random":
        rows = _random_window(candidates, window)
    else:
        # NULL (never scored) sorts last in descending order on MySQL and SQLite alike.
        column = "queue_priority" if order == "priority" else "uncertainty"
        rows = list(candidates.order_by(f"-{column}", "-pk").values_list("pk", "text")[:window])
    seen_ids = [*recent, *exclude]
    seen = Tweet.objects.filter(pk__in=seen_ids[-30:]).values_list("text", flat=True)
    chosen = pick_diverse(rows, count, recent=list(seen))
    tweets = Tweet.objects.in_bulk(chosen)
    return [tweets[pk] for pk in chosen]


def _random_window(candidates: QuerySet, window: int) -> list[tuple[int, str]]:
    bounds = Tweet.objects.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return []
    pivot = random.randint(bounds["low"], bounds["high"])  # noqa: S311 (an order, not a secret)
    rows = list(candidates.filter(pk__gte=pivot).order_by("pk").values_list("pk", "text")[:window])
    if len(rows) < window:
        rows += (
            candidates.filter(pk__lt=pivot)
            .order_by("pk")
            .values_list("pk", "text")[: window - len(rows)]
        )
    random.shuffle(rows)
    return rows


def left() -> tuple[int, bool]:
    """(open tweets, True if there are more than that): a count bounded by LEFT_CAP."""
    n = open_tweets()[: LEFT_CAP + 1].count()
    return min(n, LEFT_CAP), n > LEFT_CAP


def cards(tweets: Sequence[Tweet]) -> list[dict]:
    """What the annotation page shows of each tweet, with the serving model's suggestion."""
    try:
        serving = registry.get()
    except ModelUnavailable:
        serving = None
    details = (
        serving.predictor.detail([t.text for t in tweets], top_terms=TOP_TERMS)
        if (serving and tweets)
        else [None] * len(tweets)
    )
    version = serving.version if serving else None
    out = []
    for tweet, detail in zip(tweets, details, strict=True):
        card = {
            "id": tweet.pk,
            "text": tweet.text,
            "source": tweet.source,
            "annotations": tweet.annotation_count,
            "wanted": tweet.annotations_wanted,
            "suggestion": None,
        }
        if detail is not None:
            card["suggestion"] = {
                "label": detail["label"],
                "score": detail["score"],
                "probabilities": detail["probabilities"],
                "terms": detail["explanation"],
                "model_version": version,
            }
        out.append(card)
    return out
