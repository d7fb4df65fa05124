"""The tweet list never counts a whole large table: estimates and capped counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from sentiment import paginators
from sentiment.models import Tweet
from tests.factories import TweetFactory

LIST = reverse("admin:sentiment_tweet_changelist")


@pytest.fixture
def tweets(db):
    Tweet.objects.bulk_create(
        TweetFactory.build(text=f"tweet {i}", label="" if i % 2 else "positive") for i in range(30)
    )


def test_a_small_list_is_counted_exactly(admin_client, tweets):
    page = admin_client.get(LIST, {"labeled": "no"}).content.decode()

    assert "15 tweets" in page
    assert "more than" not in page


def test_a_filtered_list_is_counted_up_to_a_cap(admin_client, tweets, monkeypatch):
    monkeypatch.setattr(paginators, "COUNT_CAP", 10)

    response = admin_client.get(LIST, {"labeled": "no"})

    assert "more than 10 tweets" in response.content.decode()
    assert len(response.context["cl"].result_list) == 15  # the page itself is complete


def test_an_unfiltered_list_uses_the_table_statistics_on_mysql(admin_client, tweets, monkeypatch):
    if connection.vendor != "mysql":
        pytest.skip("MySQL/MariaDB only (DATABASE_URL=mysql://...)")
    monkeypatch.setattr(paginators, "ESTIMATE_FROM", 0)

    response = admin_client.get(LIST)

    assert response.context["cl"].paginator.count_is == "estimate"
    assert "about " in response.content.decode()
