"""Drift: a stream unlike the training data raises the alarm (log, metrics, dashboard); a
stream like it does not."""

from __future__ import annotations

import logging
import random

import pytest
from django.urls import reverse

from sentiment.ml import pacing
from sentiment.ml.data import evaluation_mask, text_hash
from sentiment.ml.predictor import Predictor
from sentiment.services import drift, registry
from tests.monitoring.test_metrics import scrape, value

# German tweets about a topic the demo set never mentions (train timetables and football).
GERMAN = [
    "Der Zug nach München hat schon wieder zwanzig Minuten Verspätung",
    "Heute Abend spielt Dortmund gegen Leverkusen im Westfalenstadion",
    "Die Bahn streicht alle Verbindungen zwischen Köln und Bonn am Wochenende",
    "Der Schiedsrichter hat das Tor in der Nachspielzeit nicht gegeben",
    "Ersatzverkehr mit Bussen zwischen Hauptbahnhof und Flughafen bis Montag",
    "Der Trainer wechselt in der zweiten Halbzeit drei Spieler aus",
    "Gleiswechsel auf Bahnsteig sieben wegen einer Weichenstörung",
    "Tabellenführer verliert überraschend gegen den Aufsteiger aus Kiel",
    "Fahrkarten gelten heute auch in den Regionalzügen der Nachbarstrecke",
    "Elfmeterschießen entscheidet das Pokalspiel nach torloser Verlängerung",
]


@pytest.fixture
def serving(active_model, demo_rows, settings):
    """The active demo model with its training-time figures, as `retrain` records them."""
    texts = [text for text, _ in demo_rows]
    held = evaluation_mask([text_hash(t) for t in texts], [label for _, label in demo_rows], 0.2)
    held_out = [t for t, h in zip(texts, held, strict=True) if h]
    predictor = registry.registry.get().predictor
    assert isinstance(predictor, Predictor)
    drift.live.reset()  # nothing counted by an earlier test in this process
    drift.record_reference(active_model, predictor, held_out)
    settings.DRIFT_MIN_TWEETS = 200
    return active_model, held_out


def send(client, tweets: list[str], batch: int = 25) -> None:
    for start in range(0, len(tweets), batch):
        response = client.post(
            "/api/predict",
            {"tweets": tweets[start : start + batch]},
            content_type="application/json",
        )
        assert response.status_code == 200


def test_a_stream_in_another_language_and_topic_raises_the_alarm(
    client, admin_client, serving, caplog
):
    version, _ = serving
    rng = random.Random(0)
    stream = [f"{rng.choice(GERMAN)} #{rng.randrange(1000)}" for _ in range(300)]
    send(client, stream)
    with caplog.at_level(logging.WARNING, logger="sentiment.services.drift"):
        assert drift.live.flush() == [version.pk]

    comparison = drift.recent(version.pk)
    assert comparison is not None
    assert comparison.drifting
    assert comparison.psi["unknown_tokens"] > 0.25
    assert comparison.live.unknown_share > comparison.reference.unknown_share
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert f"model version {version.pk}" in warning.getMessage()
    assert "drifted" in warning.getMessage()

    scraped = scrape(client)
    v = str(version.pk)
    assert value(scraped, "socialmetrics_drift_alarm", model_version=v) == 1
    assert (
        value(scraped, "socialmetrics_drift_psi", model_version=v, measure="unknown_tokens") > 0.25
    )
    assert value(
        scraped, "socialmetrics_unknown_token_share", model_version=v, source="live"
    ) > value(scraped, "socialmetrics_unknown_token_share", model_version=v, source="reference")

    page = admin_client.get(reverse("admin:sentiment_modelversion_dashboard")).content.decode()
    assert 'id="drift-chart"' in page
    assert "Drifting:" in page


def test_a_stream_like_the_training_data_raises_nothing(client, admin_client, serving, caplog):
    version, held_out = serving
    rng = random.Random(1)
    # Tweets drawn (with repeats) from the held-out ones: the same population, not the same
    # sample.
    send(client, [rng.choice(held_out) for _ in range(300)])
    with caplog.at_level(logging.WARNING, logger="sentiment.services.drift"):
        drift.live.flush()

    comparison = drift.recent(version.pk)
    assert comparison is not None
    assert comparison.live.tweets == 300
    assert not comparison.drifting, comparison.describe()
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]
    assert value(scrape(client), "socialmetrics_drift_alarm", model_version=str(version.pk)) == 0
    page = admin_client.get(reverse("admin:sentiment_modelversion_dashboard")).content.decode()
    assert "No drift:" in page


def test_word_columns_are_the_single_word_features(trained_artifacts, monkeypatch):
    # Read off the word vocabulary for the product's vectorizer; the same as by feature names.
    from sentiment.ml.artifacts import load_artifacts

    vectorizer, classifier = load_artifacts(
        trained_artifacts.directory, trained_artifacts.checksums
    )
    predictor = Predictor(vectorizer, classifier)
    names = predictor.feature_names()
    lexicon = set(vectorizer.lexicon_.get_feature_names_out())
    expected = [" " not in n and not n.startswith("char:") and n not in lexicon for n in names]

    mask = drift.word_columns(predictor)
    pauses: list[None] = []
    monkeypatch.setattr(pacing, "STEP", 64)  # the demo model's vocabulary in many steps
    with pacing.paced(lambda: pauses.append(None)):  # as a hot reload computes it
        in_steps = drift._word_mask(predictor)

    assert mask.tolist() == expected
    assert in_steps.tolist() == expected
    assert len(pauses) == (len(vectorizer.word_.vocabulary_) - 1) // 64 > 10
    assert 0 < mask.sum() < len(names)
    assert any(n.startswith("char:") for n in names)  # the demo model has character n-grams
