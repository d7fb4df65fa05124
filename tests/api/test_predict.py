"""POST /api/predict in the old Flask project's format: {"tweets": [...]} -> {tweet: score}."""

from __future__ import annotations

import json

import joblib
import pytest
from django.conf import settings

from sentiment.ml.artifacts import MODEL_FILE, VECTORIZER_FILE

POSITIVE = "I love this, best day ever! 😍 #happy"
NEGATIVE = "This is awful, worst service ever 😡 never again"


def post(client, body, path="/api/predict", **extra):
    return client.post(path, data=json.dumps(body), content_type="application/json", **extra)


def test_it_answers_the_old_format(client, active_model):
    response = post(client, {"tweets": [POSITIVE, NEGATIVE]})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    scores = response.json()
    assert list(scores) == [POSITIVE, NEGATIVE]
    assert all(isinstance(score, float) and -1 <= score <= 1 for score in scores.values())
    assert scores[POSITIVE] > 0 > scores[NEGATIVE]


def test_scores_are_rounded_to_four_decimals(client, active_model):
    scores = post(client, {"tweets": [POSITIVE, NEGATIVE, "le train part à 18h"]}).json()

    assert all(round(score, 4) == score for score in scores.values())


@pytest.mark.parametrize("path", ["/predict", "/api/predict/", "/predict/"])
def test_the_old_path_and_trailing_slashes_answer_the_same(client, active_model, path):
    expected = post(client, {"tweets": [POSITIVE]}).json()

    response = post(client, {"tweets": [POSITIVE]}, path=path)

    assert response.status_code == 200
    assert response.json() == expected


def test_an_empty_list_gives_an_empty_object(client, active_model):
    response = post(client, {"tweets": []})

    assert response.status_code == 200
    assert response.json() == {}


def test_a_repeated_tweet_appears_once(client, active_model):
    scores = post(client, {"tweets": [POSITIVE, NEGATIVE, POSITIVE]}).json()

    assert list(scores) == [POSITIVE, NEGATIVE]


def test_emoji_accents_and_newlines_come_back_unchanged(client, active_model):
    tweets = ["Ça me rend fou 😤🇫🇷", "café ☕️ à\nParis ❤️", 'il a dit "non" \\ 👍🏽']

    scores = post(client, {"tweets": tweets}).json()

    assert list(scores) == tweets


def test_the_pickles_give_exactly_the_api_scores(client, active_model, isolated_model_dir):
    """A script written for the old project loads the two files and gets the same numbers."""
    tweets = [POSITIVE, NEGATIVE, "Le musée ouvre à 10h demain", "meh 🙄 #lundi"]
    folder = isolated_model_dir / active_model.directory
    model = joblib.load(folder / MODEL_FILE)
    vectorizer = joblib.load(folder / VECTORIZER_FILE)

    proba = model.predict_proba(vectorizer.transform(tweets))
    classes = list(model.classes_)
    expected = {
        tweet: round(float(p[classes.index("positive")] - p[classes.index("negative")]), 4)
        for tweet, p in zip(tweets, proba, strict=True)
    }

    assert post(client, {"tweets": tweets}).json() == expected


def test_every_answer_names_the_model_version(client, active_model):
    response = post(client, {"tweets": [POSITIVE]})

    assert response["X-Model-Version"] == str(active_model.pk)


def test_it_accepts_the_largest_allowed_batch(client, active_model):
    tweets = [f"tweet number {i} is great" for i in range(settings.API_MAX_TWEETS)]

    response = post(client, {"tweets": tweets})

    assert response.status_code == 200
    assert len(response.json()) == settings.API_MAX_TWEETS


def test_it_accepts_a_tweet_of_the_largest_allowed_length(client, active_model):
    tweet = "é" * settings.API_MAX_TWEET_CHARS

    response = post(client, {"tweets": [tweet]})

    assert response.status_code == 200


@pytest.mark.slow
def test_it_scores_the_largest_batch_the_default_limits_allow(client, active_model):
    """1,000 tweets of 10,000 characters: the old project's clients may send it."""
    tweets = [f"{i} " + "bien " * 1_998 for i in range(settings.API_MAX_TWEETS)]

    response = post(client, {"tweets": tweets})

    assert response.status_code == 200
    assert len(response.json()) == settings.API_MAX_TWEETS


@pytest.mark.parametrize(
    "accept",
    [None, "*/*", "application/json", "application/json; q=0.9, */*; q=0.1", "application/*"],
)
def test_any_accept_that_admits_json_gets_json(client, active_model, accept):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}

    response = client.post(
        "/api/predict", {"tweets": ["good"]}, content_type="application/json", **headers
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def test_the_schema_still_negotiates_its_formats(client):
    as_json = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    by_default = client.get("/api/schema/")

    assert as_json["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert by_default["Content-Type"].startswith("application/vnd.oai.openapi")
    assert not by_default["Content-Type"].startswith("application/vnd.oai.openapi+json")
