"""Every bad request gets a 4xx JSON body that names the problem, never a 500 or HTML."""

from __future__ import annotations

import json

import pytest
from django.conf import settings


def post_raw(client, body: bytes | str, content_type="application/json", path="/api/predict"):
    return client.post(path, data=body, content_type=content_type)


def assert_json_error(response, status: int, code: str, *words: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["error"] == code
    for word in words:
        assert word in body["detail"]
    return body


def test_it_rejects_malformed_json(client, active_model):
    response = post_raw(client, '{"tweets": ["unterminated')

    assert_json_error(response, 400, "parse_error", "malformed JSON")


def test_it_rejects_an_empty_body(client, active_model):
    response = post_raw(client, "")

    assert_json_error(response, 400, "empty_body", "empty")


@pytest.mark.parametrize(
    ("body", "kind"),
    [("[1, 2]", "array"), ('"hello"', "string"), ("42", "number"), ("null", "null")],
)
def test_it_rejects_a_body_that_is_not_an_object(client, active_model, body, kind):
    response = post_raw(client, body)

    assert_json_error(response, 400, "not_an_object", kind)


def test_it_rejects_a_body_without_tweets(client, active_model):
    response = post_raw(client, json.dumps({"tweet": ["singular"]}))

    assert_json_error(response, 400, "tweets_missing", "tweets")


@pytest.mark.parametrize(
    ("value", "kind"), [("just one", "string"), ({"a": 1}, "object"), (None, "null"), (3, "number")]
)
def test_it_rejects_tweets_that_are_not_a_list(client, active_model, value, kind):
    response = post_raw(client, json.dumps({"tweets": value}))

    assert_json_error(response, 400, "tweets_not_a_list", kind)


@pytest.mark.parametrize(
    ("item", "kind"), [(7, "number"), (None, "null"), (True, "boolean"), (["x"], "array")]
)
def test_it_rejects_an_item_that_is_not_a_string(client, active_model, item, kind):
    response = post_raw(client, json.dumps({"tweets": ["fine", item]}))

    assert_json_error(response, 400, "tweet_not_a_string", "tweets[1]", kind)


def test_it_rejects_too_many_tweets(client, active_model):
    tweets = ["x"] * (settings.API_MAX_TWEETS + 1)

    response = post_raw(client, json.dumps({"tweets": tweets}))

    assert_json_error(response, 400, "too_many_tweets", "1,001", "1,000")


def test_it_rejects_a_tweet_too_long(client, active_model):
    tweets = ["short", "a" * (settings.API_MAX_TWEET_CHARS + 1)]

    response = post_raw(client, json.dumps({"tweets": tweets}))

    assert_json_error(response, 400, "tweet_too_long", "tweets[1]", "10,001")


def test_it_rejects_a_body_too_large(client, active_model, settings):
    settings.API_MAX_BODY_BYTES = 2048
    body = json.dumps({"tweets": ["y" * 100] * 30})

    response = post_raw(client, body)

    assert_json_error(response, 413, "body_too_large", "2,048")


def test_it_rejects_the_wrong_method(client, active_model):
    response = client.get("/api/predict")

    assert_json_error(response, 405, "method_not_allowed", "GET")
    assert "POST" in response["Allow"]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_it_rejects_a_body_that_is_not_json(client, active_model, content_type):
    response = post_raw(client, '{"tweets": ["a"]}', content_type=content_type)

    assert_json_error(response, 415, "unsupported_media_type", "application/json")


def test_it_rejects_detail_that_is_not_a_boolean(client, active_model):
    response = post_raw(client, json.dumps({"tweets": ["a"], "detail": "yes"}))

    assert_json_error(response, 400, "detail_not_boolean")


def test_without_a_model_it_answers_503_saying_what_to_do(client, db):
    response = post_raw(client, json.dumps({"tweets": ["hello"]}))

    assert_json_error(response, 503, "model_unavailable", "manage.py retrain")


def test_an_unknown_api_path_answers_json(client, db):
    response = client.get("/api/nothing-here")

    assert_json_error(response, 404, "not_found", "/api/nothing-here")
