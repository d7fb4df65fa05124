"""The served model learns from every annotated tweet; the evaluated one is kept for the gate."""

from __future__ import annotations

from collections import Counter

import pytest
from django.conf import settings

from sentiment.ml.artifacts import EVALUATION_FOLDER, MODEL_FILE
from sentiment.ml.data import evaluation_mask
from sentiment.ml.evaluate import evaluate
from sentiment.ml.normalize import tokenize
from sentiment.models import ModelVersion, TrainingRun, Tweet
from sentiment.services import versions
from tests.conftest import retrain


def split() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(training, held-out) tweets as retrain splits them: (text, label) pairs."""
    rows = list(Tweet.objects.labelled().values_list("text", "label", "text_hash"))
    held = evaluation_mask(
        [h for *_, h in rows], [label for _, label, _ in rows], settings.SENTIMENT_EVAL_FRACTION
    )
    train = [(t, label) for (t, label, _), h in zip(rows, held, strict=True) if not h]
    held_out = [(t, label) for (t, label, _), h in zip(rows, held, strict=True) if h]
    return train, held_out


def words_only_in(held_out: list[tuple[str, str]], train: list[tuple[str, str]]) -> set[str]:
    """Words (as the model tokenises them) of held-out tweets that no training tweet has."""
    seen = {word for text, _ in train for word in tokenize(text).words}
    return {word for text, _ in held_out for word in tokenize(text).words} - seen


def test_the_served_model_learns_from_every_tweet_and_the_evaluated_one_is_kept(demo_tweets):
    output = retrain()

    version = ModelVersion.objects.get(is_active=True)
    train, held_out = split()
    assert "Refitted on all" in output
    assert version.params["refitted_on_all"] is True
    assert version.label_counts == dict(Counter(label for _, label in train + held_out))
    assert (versions.version_path(version) / EVALUATION_FOLDER / MODEL_FILE).is_file()

    served = versions.load_predictor(version).vectorizer.word_.vocabulary_
    evaluated = versions.load_evaluated_predictor(version).vectorizer.word_.vocabulary_
    unseen = words_only_in(held_out, train)
    assert unseen, "the demo set has words that only held-out tweets use"
    assert unseen <= set(served)
    assert not unseen & set(evaluated)
    assert set(evaluated) < set(served)


def test_the_metrics_are_those_of_the_model_that_never_saw_the_held_out_tweets(demo_tweets):
    retrain()

    version = ModelVersion.objects.get(is_active=True)
    _, held_out = split()
    texts, labels = [t for t, _ in held_out], [label for _, label in held_out]
    evaluated = versions.load_evaluated_predictor(version)
    served = versions.load_predictor(version)

    assert version.metrics["macro_recall"] == pytest.approx(
        evaluate(labels, evaluated.predict_proba(texts), evaluated.classes)["macro_recall"]
    )
    # The served model has seen them: scored on them, it would flatter itself.
    assert (
        evaluate(labels, served.predict_proba(texts), served.classes)["macro_recall"]
        > version.metrics["macro_recall"]
    )


def test_the_gate_scores_a_refitted_champion_as_it_was_evaluated(demo_tweets):
    retrain()
    champion = ModelVersion.objects.get(is_active=True)

    retrain()

    run = TrainingRun.objects.latest("pk")
    assert run.champion_metrics["macro_recall"] == pytest.approx(champion.metrics["macro_recall"])
    assert run.metrics["macro_recall"] == pytest.approx(champion.metrics["macro_recall"])
    assert ModelVersion.objects.active() == run.version


def test_refitting_can_be_turned_off(demo_tweets, settings):
    settings.SENTIMENT_REFIT_MAX_TWEETS = 0

    output = retrain()

    version = ModelVersion.objects.get(is_active=True)
    train, _ = split()
    assert "Refitted" not in output
    assert version.params["refitted_on_all"] is False
    assert version.evaluation_model_sha256 == ""
    assert not (versions.version_path(version) / EVALUATION_FOLDER).exists()
    assert version.label_counts == dict(Counter(label for _, label in train))


def test_a_champion_saved_without_refit_is_compared_through_its_served_files(demo_tweets, settings):
    settings.SENTIMENT_REFIT_MAX_TWEETS = 0
    retrain()
    champion = ModelVersion.objects.get(is_active=True)
    settings.SENTIMENT_REFIT_MAX_TWEETS = 200_000

    retrain()

    run = TrainingRun.objects.latest("pk")
    assert run.champion_metrics["macro_recall"] == pytest.approx(champion.metrics["macro_recall"])
    assert run.version.params["refitted_on_all"] is True
