"""The annotation page and its JSON endpoints, through HTTP as an annotator."""

from __future__ import annotations

import json

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client

from sentiment.models import Annotation, Tweet
from sentiment.services.scoring import refresh_predictions
from tests.annotation.conftest import (
    LABEL_URL,
    PAGE_URL,
    SKIP_URL,
    UNDO_URL,
    logged_in,
    make_tweets,
    post_json,
)

TEXTS = [
    "Le train est encore en retard 😡",
    "Super concert hier soir 🎶😍",
    "Meeting at 3pm in room B",
    "This phone is a disaster, battery dead after 2h",
    "Thanks for the quick refund 👌",
]


@pytest.fixture
def tweets(db):
    return make_tweets(TEXTS)


def test_the_page_shows_the_first_tweets_with_the_models_suggestion(
    annotator, active_model, tweets
):
    refresh_predictions(active_model)

    response = logged_in(annotator).get(PAGE_URL)

    assert response.status_code == 200
    page = response.content.decode()
    start = page.index('<script id="annotate-config" type="application/json">')
    config = json.loads(page[page.index(">", start) + 1 : page.index("</script>", start)])
    assert len(config["tweets"]) == 4
    card = config["tweets"][0]
    assert card["suggestion"]["label"] in ("negative", "neutral", "positive")
    assert card["suggestion"]["terms"]  # the top terms
    assert config["left"] == len(TEXTS)
    assert "sentiment/annotate.js" in page
    assert "https://" not in page  # nothing from a CDN


def test_the_page_opens_in_random_order(annotator, tweets):
    # No order measured to save enough labels over random (docs/active-learning.md).
    assert logged_in(annotator).get(PAGE_URL).context["config"]["order"] == "random"


def test_the_priority_order_serves_the_highest_stored_priority_first(annotator, tweets):
    for tweet, priority in zip(tweets, [0.1, 0.5, 0.3, 0.6, 0.2], strict=True):
        Tweet.objects.filter(pk=tweet.pk).update(queue_priority=priority, uncertainty=1 - priority)

    config = logged_in(annotator).get(PAGE_URL, {"order": "priority"}).context["config"]

    assert config["order"] == "priority"
    assert [t["text"] for t in config["tweets"]] == [TEXTS[3], TEXTS[1], TEXTS[2], TEXTS[4]]


def test_the_uncertain_order_serves_the_most_uncertain_first(annotator, tweets):
    for tweet, uncertainty in zip(tweets, [0.1, 0.5, 0.3, 0.6, 0.2], strict=True):
        Tweet.objects.filter(pk=tweet.pk).update(uncertainty=uncertainty)

    config = logged_in(annotator).get(PAGE_URL, {"order": "uncertain"}).context["config"]

    assert [t["text"] for t in config["tweets"]] == [TEXTS[3], TEXTS[1], TEXTS[2], TEXTS[4]]


def test_a_near_duplicate_does_not_come_right_after_its_twin(annotator, db):
    first, twin, other = make_tweets(
        [
            "WIN a free iPhone 17 today, follow and RT http://t.co/a",
            "RT @shop: WIN a free iPhone 17 today, follow and RT http://t.co/b",
            "My cat just learned to open doors",
        ]
    )
    for tweet, priority in ((first, 0.66), (twin, 0.65), (other, 0.2)):
        Tweet.objects.filter(pk=tweet.pk).update(queue_priority=priority)

    config = logged_in(annotator).get(PAGE_URL, {"order": "priority"}).context["config"]

    assert [t["id"] for t in config["tweets"]] == [first.pk, other.pk, twin.pk]


def test_random_order_serves_every_open_tweet(annotator, tweets):
    config = logged_in(annotator).get(PAGE_URL, {"order": "random"}).context["config"]

    assert config["order"] == "random"
    assert {t["id"] for t in config["tweets"]} <= {t.pk for t in tweets}
    assert len(config["tweets"]) == 4


def test_a_key_press_saves_the_label_and_answers_the_next_tweet(annotator, tweets):
    client = logged_in(annotator)
    shown, held = tweets[0], [tweets[1].pk]

    response = post_json(
        client,
        LABEL_URL,
        {"tweet": shown.pk, "label": "negative", "exclude": held, "recent": [], "want": 2},
    )

    assert response.status_code == 200
    data = response.json()
    assert data["saved"] == {"tweet": shown.pk, "label": "negative"}  # theirs, no more
    served = [t["id"] for t in data["tweets"]]
    assert len(served) == 2
    assert shown.pk not in served
    assert held[0] not in served
    assert data["left"] == len(TEXTS) - 1
    shown.refresh_from_db()
    assert (shown.label, shown.annotated_by) == ("negative", annotator)
    assert Annotation.objects.get(tweet=shown).annotator == annotator
    entry = LogEntry.objects.get(object_id=str(shown.pk))
    assert entry.user == annotator
    assert entry.get_change_message().startswith("Annotated “negative”")


def test_labelling_again_replaces_the_persons_label(annotator, tweets):
    client = logged_in(annotator)
    post_json(client, LABEL_URL, {"tweet": tweets[0].pk, "label": "negative"})

    post_json(client, LABEL_URL, {"tweet": tweets[0].pk, "label": "neutral"})

    assert list(Annotation.objects.values_list("label", flat=True)) == ["neutral"]
    assert Tweet.objects.get(pk=tweets[0].pk).label == "neutral"


def test_undo_withdraws_the_label_and_puts_the_tweet_back(annotator, tweets):
    client = logged_in(annotator)
    post_json(client, LABEL_URL, {"tweet": tweets[0].pk, "label": "positive"})

    response = post_json(client, UNDO_URL, {"tweet": tweets[0].pk})

    assert response.status_code == 200
    assert response.json()["tweet"]["id"] == tweets[0].pk
    tweet = Tweet.objects.get(pk=tweets[0].pk)
    assert (tweet.label, tweet.annotation_count, tweet.annotated_by) == ("", 0, None)
    assert not Annotation.objects.exists()
    assert LogEntry.objects.filter(user=annotator, change_message__startswith="Withdrew").exists()


def test_undo_without_a_label_is_refused(annotator, tweets):
    response = post_json(logged_in(annotator), UNDO_URL, {"tweet": tweets[0].pk})

    assert response.status_code == 400
    assert "no label" in response.json()["error"]


def test_a_skipped_tweet_is_not_served_again_in_the_session(annotator, tweets):
    client = logged_in(annotator)

    response = post_json(client, SKIP_URL, {"tweet": tweets[0].pk, "want": 4})

    assert response.status_code == 200
    assert tweets[0].pk not in [t["id"] for t in response.json()["tweets"]]
    assert tweets[0].pk not in [t["id"] for t in client.get(PAGE_URL).context["config"]["tweets"]]
    assert not Annotation.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"tweet": "7", "label": "positive"}, "`tweet` must be a tweet id"),
        ({"tweet": True, "label": "positive"}, "`tweet` must be a tweet id"),
        ({"tweet": "ID", "label": "happy"}, "label must be one of"),
        ({"tweet": "ID", "label": "positive", "exclude": "1,2"}, "tweet id lists"),
        ({"tweet": "ID", "label": "positive", "exclude": list(range(101))}, "at most 100"),
        ({"tweet": "ID", "label": "positive", "order": "oldest"}, "order must be one of"),
        ({"tweet": "ID", "label": "positive", "want": 99}, "want must be"),
        ([1, 2], "JSON object"),
    ],
)
def test_bad_requests_get_a_400_with_a_reason_and_save_nothing(annotator, tweets, body, message):
    if isinstance(body, dict) and body["tweet"] == "ID":
        body = {**body, "tweet": tweets[0].pk}

    response = post_json(logged_in(annotator), LABEL_URL, body)

    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not Annotation.objects.exists()


def test_a_body_that_is_not_json_gets_a_400(annotator, tweets):
    response = logged_in(annotator).post(LABEL_URL, "tweet=1", content_type="text/plain")

    assert response.status_code == 400


def test_an_unknown_tweet_gets_a_404(annotator, tweets):
    response = post_json(logged_in(annotator), LABEL_URL, {"tweet": 999_999, "label": "neutral"})

    assert response.status_code == 404
    assert "no tweet 999999" in response.json()["error"]


def test_the_endpoints_refuse_get(annotator, tweets):
    assert logged_in(annotator).get(LABEL_URL).status_code == 405


def test_a_post_without_the_csrf_token_is_refused(annotator, tweets):
    client = Client(enforce_csrf_checks=True)
    client.force_login(annotator)

    response = post_json(client, LABEL_URL, {"tweet": tweets[0].pk, "label": "neutral"})

    assert response.status_code == 403
    assert not Annotation.objects.exists()


def test_anonymous_users_are_sent_to_the_login_page(client, tweets):
    assert client.get(PAGE_URL).status_code == 302
    response = post_json(client, LABEL_URL, {"tweet": tweets[0].pk, "label": "neutral"})
    assert response.status_code == 302
    assert not Annotation.objects.exists()


def test_staff_without_the_change_permission_cannot_annotate(django_user_model, tweets):
    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)

    assert logged_in(viewer).get(PAGE_URL).status_code == 403
    response = post_json(logged_in(viewer), LABEL_URL, {"tweet": tweets[0].pk, "label": "neutral"})
    assert response.status_code == 403
    assert not Annotation.objects.exists()


def test_the_page_says_when_no_model_is_active(annotator, tweets):
    config = logged_in(annotator).get(PAGE_URL).context["config"]

    assert config["tweets"][0]["suggestion"] is None
