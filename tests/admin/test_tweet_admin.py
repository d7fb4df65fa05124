"""Annotating in the Django admin: the tweet list, its filters and actions, who labelled what."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from sentiment.ml.data import text_hash
from sentiment.models import Tweet
from sentiment.services.scoring import refresh_predictions

LIST = reverse("admin:sentiment_tweet_changelist")


def make(text: str, label: str = "") -> Tweet:
    return Tweet.objects.create(text=text, label=label)


@pytest.fixture
def tweets(db):
    return [
        make("love it 😍", "positive"),
        make("hate it 😡", "negative"),
        make("still to do: j'adore"),
        make("still to do: quel enfer"),
    ]


def test_the_list_shows_text_label_score_source_and_date(admin_client, active_model, tweets):
    refresh_predictions(active_model)

    response = admin_client.get(LIST)

    assert response.status_code == 200
    page = response.content.decode()
    for column in ("text", "Label", "predicted score", "Source", "Created at"):
        assert column.lower() in page.lower()
    assert "still to do: j&#x27;adore" in page
    unlabelled = Tweet.objects.get(text="still to do: j'adore")
    assert unlabelled.predicted_score is not None
    assert f"{unlabelled.predicted_score:+.2f}" in page


def test_labeled_no_lists_only_tweets_to_annotate(admin_client, tweets):
    response = admin_client.get(LIST, {"labeled": "no"})

    shown = {tweet.text for tweet in response.context["cl"].result_list}
    assert shown == {"still to do: j'adore", "still to do: quel enfer"}


def test_filters_by_label(admin_client, tweets):
    response = admin_client.get(LIST, {"label__exact": "negative"})

    assert [t.text for t in response.context["cl"].result_list] == ["hate it 😡"]


def test_search_on_text(admin_client, tweets):
    response = admin_client.get(LIST, {"q": "enfer"})

    assert [t.text for t in response.context["cl"].result_list] == ["still to do: quel enfer"]


def test_a_label_change_records_its_annotator(admin_client, admin_user, tweets):
    tweet = Tweet.objects.get(text="still to do: j'adore")
    url = reverse("admin:sentiment_tweet_change", args=[tweet.pk])

    response = admin_client.post(
        url, {"text": tweet.text, "label": "positive", "source": tweet.source}
    )

    assert response.status_code == 302
    tweet.refresh_from_db()
    assert (tweet.label, tweet.annotated_by) == ("positive", admin_user)
    assert tweet.annotated_at is not None
    entry = LogEntry.objects.get(object_id=str(tweet.pk))
    assert entry.user == admin_user
    assert "Label" in entry.get_change_message()


def test_editing_the_label_in_the_list_records_its_annotator(admin_client, admin_user, tweets):
    tweet = Tweet.objects.get(text="still to do: quel enfer")
    rows = list(Tweet.objects.order_by("-id"))
    data = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(rows)),
        "_save": "Save",
    }
    for i, row in enumerate(rows):
        data[f"form-{i}-id"] = str(row.pk)
        data[f"form-{i}-label"] = "negative" if row.pk == tweet.pk else row.label

    response = admin_client.post(LIST, data)

    assert response.status_code == 302
    tweet.refresh_from_db()
    assert (tweet.label, tweet.annotated_by) == ("negative", admin_user)
    assert Tweet.objects.get(text="love it 😍").annotated_by is None  # untouched rows stay


def test_bulk_actions_set_and_clear_the_label(admin_client, admin_user, tweets):
    todo = Tweet.objects.unlabelled()
    ids = [str(pk) for pk in todo.values_list("pk", flat=True)]

    admin_client.post(LIST, {"action": "label_neutral", "_selected_action": ids})

    assert set(Tweet.objects.filter(pk__in=ids).values_list("label", flat=True)) == {"neutral"}
    assert set(Tweet.objects.filter(pk__in=ids).values_list("annotated_by", flat=True)) == {
        admin_user.pk
    }
    assert LogEntry.objects.filter(user=admin_user).count() == len(ids)

    admin_client.post(LIST, {"action": "label_clear", "_selected_action": ids})

    assert set(Tweet.objects.filter(pk__in=ids).values_list("label", flat=True)) == {""}


def test_adding_a_duplicate_text_is_refused_with_a_message(admin_client, tweets):
    response = admin_client.post(
        reverse("admin:sentiment_tweet_add"), {"text": "love it 😍", "label": "", "source": ""}
    )

    assert response.status_code == 200
    assert "This exact tweet is already stored." in response.content.decode()
    assert Tweet.objects.filter(text_hash=text_hash("love it 😍")).count() == 1


def test_only_staff_can_get_in(client, django_user_model, tweets):
    assert client.get(LIST).status_code == 302  # to the login page

    django_user_model.objects.create_user("reader", password="pw-for-tests-123")
    client.login(username="reader", password="pw-for-tests-123")

    assert client.get(LIST).status_code == 302
