"""The queue's order follows the labels: `refresh_queue`, cold start, and the page after it."""

from __future__ import annotations

import csv
from io import StringIO

import numpy as np
from django.core.management import call_command

from sentiment.ml import sampling
from sentiment.ml.lexicon import FEATURE_NAMES, combined_lexicon, lexicon_row
from sentiment.ml.normalize import tokenize
from sentiment.models import Tweet
from sentiment.services import queue_priority
from tests.annotation.conftest import PAGE_URL, logged_in
from tests.conftest import ROOT

TO_ANNOTATE = ROOT / "sentiment" / "demo" / "demo_to_annotate.csv"


def to_annotate() -> list[str]:
    with open(TO_ANNOTATE, encoding="utf-8", newline="") as fh:
        return [row["text"] for row in csv.DictReader(fh)]


def store_open(texts: list[str]) -> None:
    for text in texts:
        Tweet.objects.create(text=text, source="demo")


def lexicon_label(text: str) -> str:
    compound = lexicon_row(tokenize(text), combined_lexicon())[FEATURE_NAMES.index("lex:compound")]
    return sampling.LABELS[sampling.lexicon_labels(np.array([compound]))[0]]


def run(*args: str) -> str:
    out = StringIO()
    call_command("refresh_queue", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_with_no_label_the_queue_takes_the_lexicons_labels_in_turn(
    annotator, isolated_model_dir, db
):
    store_open(to_annotate())

    assert "the lexicon (too few labels for a model)" in run()

    assert not Tweet.objects.filter(queue_priority__isnull=True).exists()
    config = logged_in(annotator).get(PAGE_URL).context["config"]
    served = [lexicon_label(card["text"]) for card in config["tweets"][:3]]
    assert sorted(served) == ["negative", "neutral", "positive"]  # not table order


def test_with_labels_a_model_orders_every_open_tweet_and_labels_are_left_alone(
    isolated_model_dir, demo_tweets
):
    store_open(to_annotate())

    out = run()

    assert f"a model refitted on {demo_tweets:,} labelled tweets" in out
    assert not Tweet.objects.unlabelled().filter(queue_priority__isnull=True).exists()
    assert not Tweet.objects.labelled().exclude(queue_priority__isnull=True).exists()
    # Balanced across the predicted labels: the first tweets are not all one label.
    first = Tweet.objects.unlabelled().order_by("-queue_priority")[:30]
    assert len({lexicon_label(t.text) for t in first}) >= 2


def test_the_queue_is_refreshed_only_after_enough_new_labels_or_new_tweets(
    isolated_model_dir, demo_tweets
):
    texts = to_annotate()
    store_open(texts[:-5])
    assert queue_priority.refresh_needed() == "never refreshed"
    run()
    assert "up to date" in run("--if-needed")

    Tweet.objects.create(text=texts[-1])  # imported since: it has no priority yet
    assert queue_priority.refresh_needed() == "open tweets without a priority"
    assert "Ordered" in run("--if-needed")

    some = Tweet.objects.unlabelled().order_by("pk")[: queue_priority.REFRESH_EVERY - 1]
    Tweet.objects.filter(pk__in=list(some.values_list("pk", flat=True))).update(label="neutral")
    assert queue_priority.refresh_needed() is None  # one label short
    Tweet.objects.filter(pk=Tweet.objects.unlabelled().first().pk).update(label="positive")
    assert queue_priority.refresh_needed() == f"{queue_priority.REFRESH_EVERY:,} new labels"
