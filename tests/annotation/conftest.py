from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from sentiment.models import Tweet

LABEL_URL = reverse("admin:sentiment_tweet_annotate_label")
SKIP_URL = reverse("admin:sentiment_tweet_annotate_skip")
UNDO_URL = reverse("admin:sentiment_tweet_annotate_undo")
PAGE_URL = reverse("admin:sentiment_tweet_annotate")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_json(client: Client, url: str, body: object):
    return client.post(url, json.dumps(body), content_type="application/json")


def make_tweets(texts: list[str], **fields) -> list[Tweet]:
    return [Tweet.objects.create(text=text, **fields) for text in texts]


@pytest.fixture
def annotator(make_member):
    return make_member("annotators", "ann")


@pytest.fixture
def reviewer(make_member):
    return make_member("reviewers", "rev")
