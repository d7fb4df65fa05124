"""`{"tweets": [...], "detail": true}`: per-tweet results in input order, with explanations."""

from __future__ import annotations

import json

import pytest

TWEETS = ["I love it 😍 best day", "worst service ever 😡", "I love it 😍 best day", ""]


def detail(client, tweets):
    return client.post(
        "/api/predict",
        data=json.dumps({"tweets": tweets, "detail": True}),
        content_type="application/json",
    )


def test_results_come_in_input_order_with_duplicates_kept(client, active_model):
    response = detail(client, TWEETS)

    assert response.status_code == 200
    body = response.json()
    assert body["model_version"] == active_model.pk
    assert response["X-Model-Version"] == str(active_model.pk)
    assert [result["text"] for result in body["results"]] == TWEETS


def test_each_result_has_score_label_probabilities_and_explanation(client, active_model):
    results = detail(client, TWEETS[:2]).json()["results"]

    for result in results:
        assert set(result) == {"text", "score", "label", "probabilities", "explanation"}
        probabilities = result["probabilities"]
        assert set(probabilities) == {"negative", "neutral", "positive"}
        assert sum(probabilities.values()) == pytest.approx(1.0, abs=2e-4)
        assert result["label"] == max(probabilities, key=probabilities.get)
        expected = round(probabilities["positive"] - probabilities["negative"], 4)
        assert result["score"] == pytest.approx(expected, abs=2e-4)
        assert 0 < len(result["explanation"]) <= 5
        for term, weight in result["explanation"]:
            assert isinstance(term, str)
            assert isinstance(weight, float)
    assert results[0]["label"] == "positive"
    assert results[1]["label"] == "negative"


def test_explanations_are_signed_and_ordered_by_weight(client, active_model):
    positive, negative = detail(client, TWEETS[:2]).json()["results"]

    weights = [abs(w) for _, w in positive["explanation"]]
    assert weights == sorted(weights, reverse=True)
    assert positive["explanation"][0][1] > 0  # the strongest term pushed it up
    assert negative["explanation"][0][1] < 0


def test_the_scores_match_the_default_format(client, active_model):
    plain = client.post(
        "/api/predict", data=json.dumps({"tweets": TWEETS[:2]}), content_type="application/json"
    ).json()

    results = detail(client, TWEETS[:2]).json()["results"]

    assert {r["text"]: r["score"] for r in results} == plain


def test_detail_false_keeps_the_old_format(client, active_model):
    response = client.post(
        "/api/predict",
        data=json.dumps({"tweets": TWEETS[:1], "detail": False}),
        content_type="application/json",
    )

    assert list(response.json()) == [TWEETS[0]]


def test_an_empty_list_gives_no_results(client, active_model):
    assert detail(client, []).json() == {"model_version": active_model.pk, "results": []}
