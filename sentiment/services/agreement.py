"""Agreement between annotators, and the disagreements a reviewer settles."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import cast

from django.contrib.auth import get_user_model

from sentiment.ml.agreement import AgreementReport, agreement_report
from sentiment.models import Annotation, Label, Review, Tweet

DISAGREEMENTS_SHOWN = 100


@dataclass
class Disagreement:
    tweet: Tweet
    annotations: list[Annotation]


def report() -> tuple[AgreementReport, dict[Hashable, str]]:
    """The agreement over every tweet labelled by two people or more, and annotator names."""
    rows = Annotation.objects.filter(tweet__annotation_count__gte=2).values_list(
        "tweet_id", "annotator_id", "label"
    )
    result = agreement_report(rows.iterator(chunk_size=5000), Label.values)
    # The pairs hold the annotator ids read above.
    ids = {cast(int, who) for pair in result.pairs for who in (pair.first, pair.second)}
    names: dict[Hashable, str] = dict(
        get_user_model().objects.filter(pk__in=ids).values_list("pk", "username")
    )
    return result, names


def disagreements(*, include_majority: bool) -> tuple[list[Disagreement], int]:
    """Tweets whose annotators disagree and no reviewer settled: ties first, then (if asked)
    those decided by a majority over dissent. Returns the first ones and how many there are."""
    states = [Review.TIE, Review.MAJORITY] if include_majority else [Review.TIE]
    queryset = Tweet.objects.filter(review__in=states)
    total = queryset.count()
    tweets = list(queryset.order_by("review", "-id")[:DISAGREEMENTS_SHOWN])
    by_tweet: dict[int, list[Annotation]] = {t.pk: [] for t in tweets}
    for annotation in (
        Annotation.objects.filter(tweet__in=tweets).select_related("annotator").order_by("pk")
    ):
        by_tweet[annotation.tweet_id].append(annotation)
    return [Disagreement(t, by_tweet[t.pk]) for t in tweets], total
