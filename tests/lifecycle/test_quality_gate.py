"""The quality gate: a worse model is kept but never served, unless forced."""

from __future__ import annotations

import random

import pytest
from django.conf import settings

from sentiment.ml.artifacts import EVALUATION_FOLDER, MODEL_FILE
from sentiment.ml.data import evaluation_mask
from sentiment.models import ModelVersion, TrainingRun, Tweet
from tests.conftest import retrain


def scramble_training_labels() -> None:
    """Ruin the training side only: the held-out tweets keep their true labels."""
    rows = list(Tweet.objects.labelled().values_list("pk", "label", "text_hash"))
    held = evaluation_mask(
        [h for _, _, h in rows], [label for _, label, _ in rows], settings.SENTIMENT_EVAL_FRACTION
    )
    rng = random.Random(0)
    for (pk, _label, _hash), is_held in zip(rows, held, strict=True):
        if not is_held:
            Tweet.objects.filter(pk=pk).update(
                label=rng.choice(["negative", "neutral", "positive"])
            )


@pytest.fixture
def champion(demo_tweets):
    retrain()
    return ModelVersion.objects.get(is_active=True)


def test_a_worse_model_is_rejected_and_the_champion_keeps_serving(client, champion):
    scramble_training_labels()

    output = retrain()

    challenger = ModelVersion.objects.latest("pk")
    assert challenger != champion
    assert challenger.status == "rejected"
    assert ModelVersion.objects.active() == champion
    assert "rejected, the new model is worse" in output
    assert f"against {champion.metrics['macro_recall']:.4f} for the active version" in output
    assert f"version {champion.pk} goes on serving" in output
    run = TrainingRun.objects.latest("pk")
    assert (run.status, run.version) == ("rejected", challenger)
    assert run.champion_metrics["macro_recall"] == pytest.approx(champion.metrics["macro_recall"])
    response = client.post("/api/predict", data={"tweets": ["ok"]}, content_type="application/json")
    assert response["X-Model-Version"] == str(champion.pk)


def test_both_are_scored_on_the_same_held_out_tweets(champion):
    scramble_training_labels()

    retrain()

    run = TrainingRun.objects.latest("pk")
    assert run.metrics["n"] == run.champion_metrics["n"] == run.eval_size


def test_force_activates_a_worse_model(champion):
    scramble_training_labels()

    output = retrain("--force")

    challenger = ModelVersion.objects.latest("pk")
    assert ModelVersion.objects.active() == challenger
    assert "worse, activated anyway (--force)" in output
    assert challenger.activations.get().previous == champion


def test_an_equal_model_passes(champion):
    output = retrain()

    assert ": passed." in output
    assert ModelVersion.objects.active() == ModelVersion.objects.latest("pk")


def test_dry_run_reports_the_decision_and_saves_nothing(champion):
    scramble_training_labels()

    output = retrain("--dry-run")

    assert "rejected, the new model is worse" in output
    assert "Dry run: nothing was saved or activated." in output
    assert ModelVersion.objects.count() == 1
    assert TrainingRun.objects.count() == 1


def test_the_tolerance_is_a_setting(champion, settings):
    scramble_training_labels()
    settings.SENTIMENT_GATE_TOLERANCE = 1.0

    output = retrain()

    assert "(tolerance 1)" in output
    assert ModelVersion.objects.active() == ModelVersion.objects.latest("pk")


def test_a_champion_whose_files_fail_their_checksum_is_compared_by_its_recorded_metrics(
    champion, isolated_model_dir
):
    """Not "no serving model to compare: passed": its held-out metrics were recorded."""
    # The gate reads the model the champion was evaluated as (kept beside the refitted one).
    model = isolated_model_dir / champion.directory / EVALUATION_FOLDER / MODEL_FILE
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.write_bytes(bytes(data))
    scramble_training_labels()

    output = retrain()

    assert "no serving model to compare" not in output
    assert f"active version {champion.pk} cannot be loaded" in output
    recorded = f"{champion.metrics['macro_recall']:.4f} recorded for the active version"
    assert recorded in output
    assert "rejected, the new model is worse" in output
    assert ModelVersion.objects.latest("pk").status == "rejected"
