"""`setup_demo` (make run): a trained demo with tweets to annotate, in a queue order."""

from __future__ import annotations

import csv
from io import StringIO

from django.core.management import call_command

from sentiment.management.commands.setup_demo import OVERLAP_EVERY, TO_ANNOTATE_FILE
from sentiment.models import ModelVersion, Tweet


def test_the_demo_has_labelled_tweets_a_model_and_tweets_to_annotate(
    transactional_db, isolated_model_dir, demo_rows
):
    with open(TO_ANNOTATE_FILE, encoding="utf-8", newline="") as fh:
        to_annotate = [row["text"] for row in csv.DictReader(fh)]
    assert len(to_annotate) >= 300
    assert not {text for text, _ in demo_rows} & set(to_annotate)

    out = StringIO()
    call_command("setup_demo", stdout=out)

    assert Tweet.objects.labelled().count() == len(demo_rows)
    assert Tweet.objects.unlabelled().count() == len(to_annotate)
    assert ModelVersion.objects.filter(is_active=True).exists()
    assert Tweet.objects.filter(annotations_wanted=2).count() == -(
        -len(to_annotate) // OVERLAP_EVERY
    )
    assert not Tweet.objects.unlabelled().filter(queue_priority__isnull=True).exists()
    assert f"Annotation queue ordered: {len(to_annotate):,} tweets" in out.getvalue()

    call_command("setup_demo", stdout=StringIO())  # safe to re-run: nothing imported twice
    assert Tweet.objects.count() == len(demo_rows) + len(to_annotate)
