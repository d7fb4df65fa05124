"""`manage.py retrain`: train on the annotations, report, save both pickles, activate."""

from __future__ import annotations

import json

import joblib
import pytest
from django.core.management import CommandError

from sentiment.ml.artifacts import MODEL_FILE, VECTORIZER_FILE, sha256_bytes
from sentiment.models import Activation, ModelVersion, TrainingRun, Tweet
from tests.conftest import retrain
from tests.factories import TweetFactory
from tests.servers import run_command


def add(texts_by_label: dict[str, list[str]]) -> None:
    Tweet.objects.bulk_create(
        TweetFactory.build(text=t, label=label)
        for label, texts in texts_by_label.items()
        for t in texts
    )


def test_it_trains_reports_saves_and_activates(demo_tweets, isolated_model_dir):
    output = retrain()

    assert "Read 510 annotated tweets: negative 170, neutral 170, positive 170" in output
    assert "true \\ predicted" in output  # the confusion matrix
    assert "precision" in output
    assert "macro recall" in output
    version = ModelVersion.objects.get()
    assert version.is_active
    assert version.status == "ready"
    assert f"Version {version.pk} is now active" in output
    folder = isolated_model_dir / version.directory
    assert sha256_bytes((folder / MODEL_FILE).read_bytes()) == version.model_sha256
    assert sha256_bytes((folder / VECTORIZER_FILE).read_bytes()) == version.vectorizer_sha256
    # The served model is refitted on every tweet; the evaluated one left the held-out out.
    assert sum(version.label_counts.values()) == 510
    assert 0 < sum(version.eval_counts.values()) == TrainingRun.objects.get().eval_size < 510
    assert set(version.metrics) >= {"accuracy", "macro_recall", "confusion_matrix", "reliability"}
    assert Activation.objects.get().version == version
    run = TrainingRun.objects.get()
    assert (run.status, run.trigger, run.version) == ("succeeded", "manual", version)


def test_the_api_answers_with_the_new_model(client, demo_tweets):
    retrain()

    response = client.post(
        "/api/predict", data={"tweets": ["j'adore ce film 😍"]}, content_type="application/json"
    )

    assert response.status_code == 200
    assert response["X-Model-Version"] == str(ModelVersion.objects.get().pk)


def test_the_saved_files_load_like_the_old_project(demo_tweets, isolated_model_dir):
    retrain()
    folder = isolated_model_dir / ModelVersion.objects.get().directory

    model = joblib.load(folder / MODEL_FILE)
    vectorizer = joblib.load(folder / VECTORIZER_FILE)

    proba = model.predict_proba(vectorizer.transform(["super journée ☀️", "quel enfer 😩"]))
    assert proba.shape == (2, 3)
    assert list(model.classes_) == ["negative", "neutral", "positive"]


def test_it_works_with_two_labels(client, db):
    add(
        {
            "positive": [f"love it so much {i} 😍" for i in range(30)],
            "negative": [f"hate this thing {i} 😡" for i in range(30)],
        }
    )

    output = retrain()

    assert f"Version {ModelVersion.objects.get().pk} is now active" in output
    scores = client.post(
        "/api/predict", data={"tweets": ["love it", "hate this"]}, content_type="application/json"
    ).json()
    assert scores["love it"] > 0 > scores["hate this"]


def test_a_label_with_too_few_tweets_is_left_out(db):
    add(
        {
            "positive": [f"love it so much {i}" for i in range(20)],
            "negative": [f"hate this thing {i}" for i in range(20)],
            "neutral": ["a fact", "another fact"],
        }
    )

    output = retrain()

    assert "Leaving out label 'neutral': 2 tweet(s), fewer than 5" in output
    assert set(ModelVersion.objects.get().label_counts) == {"positive", "negative"}


@pytest.mark.parametrize(
    ("tweets", "reason"),
    [
        ({}, "no annotated tweets"),
        ({"positive": [f"good {i}" for i in range(50)]}, "at least two labels need 5"),
        (
            {"positive": ["good 1", "good 2"], "negative": ["bad 1", "bad 2"]},
            "too few annotated tweets to train (negative 2, positive 2)",
        ),
    ],
)
def test_it_refuses_to_train_on_too_little(db, isolated_model_dir, tweets, reason):
    add(tweets)
    Tweet.objects.create(text="not yet annotated")

    with pytest.raises(CommandError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        retrain()

    assert not ModelVersion.objects.exists()
    assert not isolated_model_dir.exists() or not any(isolated_model_dir.iterdir())
    run = TrainingRun.objects.get()
    assert run.status == "failed"
    assert reason in run.error


def test_dry_run_saves_nothing(demo_tweets, isolated_model_dir):
    output = retrain("--dry-run")

    assert "Dry run: nothing was saved or activated." in output
    assert not ModelVersion.objects.exists()
    assert not TrainingRun.objects.exists()
    assert not isolated_model_dir.exists()


def test_an_unreachable_database_exits_non_zero_with_one_line(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SECRET_KEY": "x",
        "DATABASE_URL": "mysql://nobody:wrong@127.0.0.1:1/nowhere",
        "SENTIMENT_MODEL_DIR": str(tmp_path / "models"),
    }

    result = run_command(env, "retrain", timeout=60)

    assert result.returncode == 1
    assert result.stderr.startswith("CommandError: retrain failed: the database is unreachable")
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "models").exists()


def test_the_metrics_are_plain_json(demo_tweets):
    retrain()

    json.dumps(ModelVersion.objects.get().metrics)
