"""Least privilege: what an annotator can and cannot do, through HTTP requests.

Annotators label tweets and see their own annotations; nothing else. Every label change,
whichever way it is made, is in the admin's history under its author.
"""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from sentiment.models import Annotation, ModelVersion, Tweet
from tests.annotation.conftest import LABEL_URL, UNDO_URL, logged_in, make_tweets, post_json

LIST = reverse("admin:sentiment_tweet_changelist")


@pytest.fixture
def tweets(db):
    return make_tweets(["premier 😀", "deuxième", "troisième"])


def history(user, tweet) -> list[str]:
    entries = LogEntry.objects.filter(user=user, object_id=str(tweet.pk)).order_by("pk")
    return [entry.get_change_message() for entry in entries]


def test_an_annotator_has_exactly_the_permissions_to_label(annotator):
    assert annotator.get_all_permissions() == {
        "sentiment.view_tweet",
        "sentiment.change_tweet",
        "sentiment.view_annotation",
    }


def test_the_groups_are_made_by_the_migration_with_their_documented_permissions(db):
    groups = {g.name: g for g in Group.objects.prefetch_related("permissions")}

    assert {"annotators", "reviewers", "admins"} <= set(groups)
    reviewer = {p.codename for p in groups["reviewers"].permissions.all()}
    assert {"settle_tweet", "add_tweet", "export_tweet", "view_modelversion"} <= reviewer
    assert not reviewer & {"delete_tweet", "activate_modelversion", "change_user", "add_user"}
    admins = {p.codename for p in groups["admins"].permissions.all()}
    assert {"delete_tweet", "activate_modelversion", "change_user", "settle_tweet"} <= admins
    assert not any(codename.endswith("_logentry") for codename in admins)  # history stays


def test_setup_roles_puts_a_changed_group_back(db):
    annotators = Group.objects.get(name="annotators")
    annotators.permissions.clear()

    call_command("setup_roles", stdout=None)

    assert annotators.permissions.count() == 3


@pytest.mark.parametrize(
    "url",
    [
        reverse("admin:sentiment_modelversion_changelist"),
        reverse("admin:sentiment_trainingrun_changelist"),
        reverse("admin:sentiment_activation_changelist"),
        reverse("admin:sentiment_modelversion_dashboard"),
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_group_changelist"),
        reverse("admin:sentiment_tweet_add"),
        reverse("admin:sentiment_tweet_agreement"),
        reverse("admin:sentiment_tweet_import"),
        reverse("admin:sentiment_tweet_export"),
    ],
)
def test_an_annotator_cannot_open_pages_beyond_labelling(annotator, url):
    assert logged_in(annotator).get(url).status_code == 403


def test_an_annotator_cannot_delete_a_tweet(annotator, tweets):
    client = logged_in(annotator)
    delete = reverse("admin:sentiment_tweet_delete", args=[tweets[0].pk])

    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    client.post(
        LIST, {"action": "delete_selected", "_selected_action": [tweets[0].pk], "post": "yes"}
    )
    assert Tweet.objects.count() == 3


def test_an_annotator_cannot_activate_a_model_or_add_a_user(annotator, active_model):
    client = logged_in(annotator)

    response = client.post(
        reverse("admin:sentiment_modelversion_changelist"),
        {"action": "activate_selected", "_selected_action": [active_model.pk]},
    )
    assert response.status_code == 403
    response = client.post(
        reverse("admin:auth_user_add"),
        {"username": "intruder", "password1": "Xy-123456789", "password2": "Xy-123456789"},
    )
    assert response.status_code == 403
    assert ModelVersion.objects.count() == 1
    assert not annotator.__class__.objects.filter(username="intruder").exists()


def test_an_annotator_cannot_clear_settle_or_ask_for_overlap(annotator, tweets):
    client = logged_in(annotator)
    post_json(client, LABEL_URL, {"tweet": tweets[0].pk, "label": "positive"})

    for action in ("label_clear", "ask_for_2_annotators"):
        client.post(LIST, {"action": action, "_selected_action": [tweets[0].pk]})
    response = client.post(
        reverse("admin:sentiment_tweet_agreement_settle"),
        {"tweet": tweets[1].pk, "label": "neutral"},
    )

    assert response.status_code == 403
    tweet = Tweet.objects.get(pk=tweets[0].pk)
    assert (tweet.label, tweet.annotations_wanted) == ("positive", 1)
    assert Tweet.objects.get(pk=tweets[1].pk).label == ""


def test_an_annotator_changes_the_label_but_not_the_text(annotator, tweets):
    tweet = tweets[0]
    url = reverse("admin:sentiment_tweet_change", args=[tweet.pk])

    response = logged_in(annotator).post(
        url, {"text": "rewritten", "label": "positive", "source": "elsewhere"}
    )

    assert response.status_code == 302
    tweet.refresh_from_db()
    assert (tweet.text, tweet.source, tweet.label) == ("premier 😀", "", "positive")
    assert history(annotator, tweet) == [
        "Annotated “positive”. Label: “positive” (1 of 1 annotation(s))."
    ]


def test_an_annotator_sees_only_their_own_annotations(annotator, make_member, tweets):
    other = make_member("annotators", "other")
    post_json(logged_in(annotator), LABEL_URL, {"tweet": tweets[0].pk, "label": "positive"})
    post_json(logged_in(other), LABEL_URL, {"tweet": tweets[1].pk, "label": "negative"})

    response = logged_in(annotator).get(reverse("admin:sentiment_annotation_changelist"))

    assert [a.annotator for a in response.context["cl"].result_list] == [annotator]
    theirs = Annotation.objects.get(annotator=other)
    change = reverse("admin:sentiment_annotation_change", args=[theirs.pk])
    assert logged_in(annotator).get(change).status_code == 302  # "does not exist" → list
    # Nor other people's labels on the tweet page (they would bias the annotator).
    page = logged_in(annotator).get(reverse("admin:sentiment_tweet_change", args=[tweets[1].pk]))
    assert "annotations by person" not in page.content.decode().lower()


def test_every_way_of_labelling_is_in_the_history_under_its_author(annotator, tweets):
    client = logged_in(annotator)
    first, second, third = tweets

    # The annotation page, then its undo.
    post_json(client, LABEL_URL, {"tweet": first.pk, "label": "negative"})
    post_json(client, UNDO_URL, {"tweet": first.pk})
    # The tweet's form.
    client.post(
        reverse("admin:sentiment_tweet_change", args=[second.pk]),
        {"text": second.text, "label": "neutral", "source": ""},
    )
    # The list's editable column.
    rows = list(Tweet.objects.order_by("-id"))
    data = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(rows)),
        "_save": "Save",
    }
    for i, row in enumerate(rows):
        data[f"form-{i}-id"] = str(row.pk)
        data[f"form-{i}-label"] = "positive" if row.pk == third.pk else row.label
    assert client.post(LIST, data).status_code == 302
    # A bulk action.
    client.post(LIST, {"action": "label_negative", "_selected_action": [second.pk, third.pk]})

    assert history(annotator, first) == [
        "Annotated “negative”. Label: “negative” (1 of 1 annotation(s)).",
        "Withdrew the annotation “negative”. Label: none yet (0 of 1 annotation(s)).",
    ]
    assert history(annotator, second) == [
        "Annotated “neutral”. Label: “neutral” (1 of 1 annotation(s)).",
        "Annotated “negative”. Label: “negative” (1 of 1 annotation(s)).",
    ]
    assert history(annotator, third) == [
        "Annotated “positive”. Label: “positive” (1 of 1 annotation(s)).",
        "Annotated “negative”. Label: “negative” (1 of 1 annotation(s)).",
    ]
    assert dict(Annotation.objects.values_list("tweet", "label")) == {
        second.pk: "negative",
        third.pk: "negative",
    }
