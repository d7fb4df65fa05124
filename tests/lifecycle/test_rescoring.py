"""Stored predictions: every unlabelled tweet gets the active model's score, in bulk."""

from __future__ import annotations

import pytest
from django.db import transaction

from sentiment.ml import sampling
from sentiment.models import Tweet
from sentiment.services import scoring, versions
from tests.factories import TweetFactory


@pytest.fixture
def tweets(db):
    unlabelled = [
        TweetFactory.build(text=f"tweet {n} love it" if n % 2 else f"tweet {n} awful")
        for n in range(23)
    ]
    labelled = [TweetFactory.build(text="labelled already", label="positive")]
    Tweet.objects.bulk_create(unlabelled + labelled)
    return Tweet.objects.unlabelled(), Tweet.objects.labelled()


def test_every_unlabelled_tweet_gets_the_models_score_across_chunks(
    monkeypatch, active_model, tweets
):
    unlabelled, labelled = tweets
    monkeypatch.setattr(scoring, "CHUNK", 5)  # 23 tweets: four full chunks and a partial one
    predictor = versions.load_predictor(active_model)

    scored = scoring.refresh_predictions(active_model, predictor)

    assert scored == 23
    rows = list(unlabelled.order_by("pk").values_list("text", "predicted_score", "uncertainty"))
    proba = predictor.predict_proba([text for text, _, _ in rows])
    expected_scores = predictor.scores_from_proba(proba)
    expected_uncertainty = sampling.uncertainty(proba)
    for (_, score, uncertainty), want_score, want_uncertainty in zip(
        rows, expected_scores, expected_uncertainty, strict=True
    ):
        assert score == pytest.approx(float(want_score))
        assert uncertainty == pytest.approx(float(want_uncertainty))
    assert set(unlabelled.values_list("scored_by_version", flat=True)) == {active_model.pk}
    assert labelled.get().predicted_score is None


def test_rescoring_twice_overwrites_the_previous_scores(active_model, tweets):
    unlabelled, _ = tweets
    unlabelled.update(predicted_score=5.0, uncertainty=-1.0, scored_by_version=999)

    scoring.refresh_predictions(active_model)
    scoring.refresh_predictions(active_model)

    assert not unlabelled.filter(predicted_score=5.0).exists()
    assert not unlabelled.filter(uncertainty=-1.0).exists()
    assert set(unlabelled.values_list("scored_by_version", flat=True)) == {active_model.pk}


def test_store_scores_writes_the_given_rows_only(db):
    first, second, third = Tweet.objects.bulk_create(
        [TweetFactory.build(text=text) for text in ("one", "two", "three")]
    )

    scoring.store_scores([(first.pk, 0.5, 0.25, 7), (third.pk, -1.0, 0.0, 7)])
    scoring.store_scores([])

    stored = {
        pk: (score, uncertainty, version)
        for pk, score, uncertainty, version in Tweet.objects.values_list(
            "pk", "predicted_score", "uncertainty", "scored_by_version"
        )
    }
    assert stored == {
        first.pk: (0.5, 0.25, 7),
        second.pk: (None, None, None),
        third.pk: (-1.0, 0.0, 7),
    }


class Undo(Exception):
    pass


def _rescore_then_roll_back(version) -> None:
    with transaction.atomic():
        TweetFactory(text="made in the transaction")
        scoring.refresh_predictions(version)
        raise Undo


def test_rescoring_inside_a_transaction_does_not_commit_it(active_model, tweets):
    unlabelled, _ = tweets

    with pytest.raises(Undo):
        _rescore_then_roll_back(active_model)

    assert not Tweet.objects.filter(text="made in the transaction").exists()
    assert not unlabelled.filter(scored_by_version=active_model.pk).exists()
