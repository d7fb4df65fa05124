"""Annotators never learn another person's label: not from a tweet's history, not from the
annotation endpoints' answers, not from the tweet's form. Reviewers still see everything.

The attack tried: a second annotator labels, undoes and labels again, reading each answer for
a tie or a winner, and opens the tweet's history before labelling.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from sentiment.services import annotation
from tests.annotation.conftest import LABEL_URL, UNDO_URL, logged_in, make_tweets, post_json


@pytest.fixture
def team(make_member):
    return make_member("annotators", "ann"), make_member("annotators", "bob")


@pytest.fixture
def tweet(team, reviewer):
    (tweet,) = make_tweets(["Je ne sais pas quoi penser de ce film"])
    annotation.set_wanted([tweet.pk], reviewer, 2)
    annotation.annotate([tweet.pk], team[0], "negative")  # ann's label, secret to bob
    return tweet


def history_url(tweet) -> str:
    return reverse("admin:sentiment_tweet_history", args=[tweet.pk])


def change_url(tweet) -> str:
    return reverse("admin:sentiment_tweet_change", args=[tweet.pk])


def test_the_history_does_not_show_another_annotators_label(team, tweet):
    _, bob = team

    response = logged_in(bob).get(history_url(tweet))

    assert response.status_code == 200
    page = response.content.decode()
    assert "negative" not in page
    assert "ann" not in page.replace("annotat", "")  # not the other person's name either


def test_the_history_shows_an_annotator_their_own_entries_without_the_agreed_label(team, tweet):
    _, bob = team
    post_json(logged_in(bob), LABEL_URL, {"tweet": tweet.pk, "label": "positive"})

    page = logged_in(bob).get(history_url(tweet)).content.decode()

    assert "Annotated “positive”" in page
    assert "negative" not in page
    assert "disagree" not in page  # the tie, which would tell bob what ann said


def test_a_reviewer_sees_the_whole_history(reviewer, team, tweet):
    page = logged_in(reviewer).get(history_url(tweet)).content.decode()

    assert "Annotated “negative”" in page
    assert "ann" in page


def answers(client, tweet) -> list[str]:
    """Label, undo, label again, with each label: every answer's body as text."""
    bodies = []
    for value in ("positive", "negative", "neutral"):
        for url, body in ((LABEL_URL, {"label": value}), (UNDO_URL, {})):
            response = post_json(client, url, {"tweet": tweet.pk, **body})
            assert response.status_code == 200, response.content
            bodies.append(response.json())
    return bodies


def test_label_undo_label_answers_say_nothing_of_the_agreed_label(team, tweet):
    _, bob = team

    bodies = answers(logged_in(bob), tweet)

    for body in bodies:
        saved = body.get("saved") or body["undone"]
        # Only what bob sent: a tie (positive) and a winner (negative) must look the same.
        assert set(saved) <= {"tweet", "label"}, saved
    tie, winner = bodies[0]["saved"], bodies[2]["saved"]
    assert (tie["label"], winner["label"]) == ("positive", "negative")  # bob's own labels
    assert "tie" not in json.dumps(bodies)


def test_a_reviewer_is_answered_the_agreed_label(reviewer, tweet):
    response = post_json(logged_in(reviewer), LABEL_URL, {"tweet": tweet.pk, "label": "positive"})

    saved = response.json()["saved"]
    assert (saved["review"], saved["annotations"], saved["wanted"]) == ("tie", 2, 2)


def test_the_tweet_form_says_nothing_of_the_agreed_label_to_an_annotator(team, tweet):
    _, bob = team
    client = logged_in(bob)

    form = client.get(change_url(tweet)).content.decode()
    assert 'value="negative" selected' not in form  # ann's label, shown as the tweet's
    assert "disagree" not in form
    response = client.post(
        change_url(tweet), {"text": tweet.text, "label": "positive", "source": ""}, follow=True
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Your label “positive” is recorded" in page
    assert "disagree" not in page
    assert "The tweet's label is" not in page
    # The form shows bob his own label, not the tweet's (none: a tie).
    assert 'value="positive" selected' in client.get(change_url(tweet)).content.decode()


def test_the_tweet_list_shows_an_annotator_their_own_labels_only(team, reviewer):
    ann, bob = team
    decided, mine = make_tweets(["Ann a tranché celui-ci", "Bob a choisi celui-là"])
    annotation.annotate([decided.pk], ann, "negative")  # agreed: negative (one wanted)
    annotation.annotate([mine.pk], bob, "positive")
    client = logged_in(bob)

    response = client.get(reverse("admin:sentiment_tweet_changelist"))

    shown = {t.pk: t.label for t in response.context["cl"].result_list}
    assert shown == {decided.pk: "", mine.pk: "positive"}
    assert 'value="negative" selected' not in response.content.decode()
    # Neither filtering nor sorting by the agreed label.
    filtered = client.get(reverse("admin:sentiment_tweet_changelist"), {"label": "negative"})
    assert filtered.status_code == 400  # a lookup the admin does not allow them
    by_review = client.get(reverse("admin:sentiment_tweet_changelist"), {"review": "tie"})
    assert by_review.status_code == 400
    # The reviewer still sees the agreed labels.
    reviewer_list = logged_in(reviewer).get(reverse("admin:sentiment_tweet_changelist"))
    assert {t.pk: t.label for t in reviewer_list.context["cl"].result_list} == {
        decided.pk: "negative",
        mine.pk: "positive",
    }
