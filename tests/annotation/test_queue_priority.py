"""The priority order follows the labels: `refresh_queue`, cold start, the page after it."""

from __future__ import annotations

import csv
from io import StringIO

from django.core.management import call_command

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


def run(*args: str) -> str:
    out = StringIO()
    call_command("refresh_queue", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_with_no_label_the_priority_order_is_random_not_table_order(
    annotator, isolated_model_dir, db
):
    store_open(to_annotate())

    assert "a random order (too few labels for a model)" in run()

    assert not Tweet.objects.filter(queue_priority__isnull=True).exists()
    config = logged_in(annotator).get(PAGE_URL, {"order": "priority"}).context["config"]
    served = [card["id"] for card in config["tweets"]]
    by_priority = list(Tweet.objects.order_by("-queue_priority").values_list("pk", flat=True))
    assert served == by_priority[: len(served)]
    by_id = list(Tweet.objects.order_by("pk").values_list("pk", flat=True))
    assert served not in (by_id[: len(served)], by_id[::-1][: len(served)])  # not table order


def test_with_labels_a_model_orders_every_open_tweet_and_labels_are_left_alone(
    isolated_model_dir, demo_tweets
):
    store_open(to_annotate())

    out = run()

    assert f"a model refitted on {demo_tweets:,} labelled tweets" in out
    assert not Tweet.objects.unlabelled().filter(queue_priority__isnull=True).exists()
    assert not Tweet.objects.labelled().exclude(queue_priority__isnull=True).exists()
    priorities = list(Tweet.objects.unlabelled().values_list("queue_priority", flat=True))
    assert all(0 <= p <= 1 for p in priorities)  # 1 - the margin between the top two labels
    assert len(set(priorities)) > len(priorities) // 2


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
