"""Overlap, majority, ties and reviewers' decisions, through the admin's HTTP endpoints."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from sentiment.models import Annotation, Tweet
from tests.annotation.conftest import LABEL_URL, PAGE_URL, logged_in, make_tweets, post_json

LIST = reverse("admin:sentiment_tweet_changelist")
AGREEMENT = reverse("admin:sentiment_tweet_agreement")
SETTLE = reverse("admin:sentiment_tweet_agreement_settle")


@pytest.fixture
def team(make_member):
    return [make_member("annotators", name) for name in ("ann", "bob", "cy")]


def ask_for(reviewer_client, tweets, wanted: int):
    return reviewer_client.post(
        LIST,
        {"action": f"ask_for_{wanted}_annotators", "_selected_action": [t.pk for t in tweets]},
    )


def label(user, tweet, value):
    response = post_json(logged_in(user), LABEL_URL, {"tweet": tweet.pk, "label": value})
    assert response.status_code == 200, response.content
    return Tweet.objects.get(pk=tweet.pk)


def test_a_tweet_asked_for_two_annotators_is_served_to_a_second_one(team, reviewer):
    ann, bob, _ = team
    (tweet,) = make_tweets(["Quel match incroyable ⚽️"])
    ask_for(logged_in(reviewer), [tweet], 2)

    after_one = label(ann, tweet, "positive")

    assert (after_one.label, after_one.annotation_count) == ("", 1)  # waits for the second
    assert logged_in(ann).get(PAGE_URL).context["config"]["tweets"] == []  # not twice to ann
    served = logged_in(bob).get(PAGE_URL).context["config"]["tweets"]
    assert [t["id"] for t in served] == [tweet.pk]
    assert label(bob, tweet, "positive").label == "positive"
    assert logged_in(bob).get(PAGE_URL).context["config"]["tweets"] == []  # complete


def test_the_majority_decides_and_the_dissent_is_marked(team, reviewer):
    ann, bob, cy = team
    (tweet,) = make_tweets(["Pas mal ce film, sans plus"])
    ask_for(logged_in(reviewer), [tweet], 3)

    label(ann, tweet, "neutral")
    label(bob, tweet, "positive")
    agreed = label(cy, tweet, "neutral")

    assert (agreed.label, agreed.review, agreed.annotated_by) == ("neutral", "majority", cy)


def test_a_tie_waits_for_a_reviewer_whose_decision_wins(team, reviewer):
    ann, bob, _ = team
    (tweet,) = make_tweets(["Génial, encore une panne 🙃"])
    ask_for(logged_in(reviewer), [tweet], 2)
    label(ann, tweet, "negative")
    tied = label(bob, tweet, "positive")
    assert (tied.label, tied.review) == ("", "tie")
    assert logged_in(ann).get(PAGE_URL).context["config"]["tweets"] == []  # out of the queue

    page = logged_in(reviewer).get(AGREEMENT)
    assert [d.tweet.pk for d in page.context["disputes"]] == [tweet.pk]
    response = logged_in(reviewer).post(SETTLE, {"tweet": tweet.pk, "label": "negative"})

    assert response.status_code == 302
    settled = Tweet.objects.get(pk=tweet.pk)
    assert (settled.label, settled.review, settled.annotated_by) == (
        "negative",
        "settled",
        reviewer,
    )
    entry = LogEntry.objects.filter(object_id=str(tweet.pk)).latest("pk")
    assert (entry.user, entry.change_message.split(".")[0]) == (reviewer, "Settled as “negative”")
    # A later annotation does not undo the decision.
    assert label(bob, tweet, "neutral").label == "negative"


def test_the_agreement_page_shows_kappa_per_pair_and_per_label(team, reviewer):
    ann, bob, _ = team
    tweets = make_tweets([f"tweet number {n}" for n in range(4)])
    ask_for(logged_in(reviewer), tweets, 2)
    for tweet, (a, b) in zip(
        tweets,
        [
            ("positive", "positive"),
            ("negative", "negative"),
            ("neutral", "positive"),
            ("neutral", "neutral"),
        ],
        strict=True,
    ):
        label(ann, tweet, a)
        label(bob, tweet, b)

    response = logged_in(reviewer).get(AGREEMENT)

    assert response.status_code == 200
    report = response.context["report"]
    assert (report.items, report.agreement) == (4, 0.75)
    (pair,) = response.context["pairs"]
    assert {pair["first"], pair["second"]} == {"ann", "bob"}
    page = response.content.decode()
    assert "75%" in page
    assert f"{pair['pair'].kappa:.3f}" in page
    assert [row.label for row in report.per_label] == ["negative", "neutral", "positive"]
    # The 1-1 split is a tie, listed for a reviewer with both labels.
    (dispute,) = response.context["disputes"]
    assert dispute.tweet.pk == tweets[2].pk
    assert sorted(a.label for a in dispute.annotations) == ["neutral", "positive"]


def test_settling_refuses_an_unknown_label_with_a_message(reviewer, db):
    (tweet,) = make_tweets(["un tweet"])

    response = logged_in(reviewer).post(SETTLE, {"tweet": tweet.pk, "label": "meh"}, follow=True)

    assert "Unknown label &#x27;meh&#x27;" in response.content.decode()
    assert Tweet.objects.get(pk=tweet.pk).label == ""


def test_clearing_resets_the_annotations_and_puts_the_tweet_back(team, reviewer):
    ann, _, _ = team
    (tweet,) = make_tweets(["à refaire"])
    label(ann, tweet, "positive")

    logged_in(reviewer).post(LIST, {"action": "label_clear", "_selected_action": [tweet.pk]})

    tweet.refresh_from_db()
    assert (tweet.label, tweet.annotation_count) == ("", 0)
    assert not Annotation.objects.exists()
    assert [t["id"] for t in logged_in(ann).get(PAGE_URL).context["config"]["tweets"]] == [tweet.pk]
