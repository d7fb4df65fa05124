"""The demo as a newcomer finds it: `setup_demo`, then two annotators and a reviewer."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from sentiment.models import Annotation, Tweet
from tests.browser.conftest import (
    log_in,
    screenshot,
    shown_tweet,
    wait_for_other_tweet,
    wait_until_saved,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MAX_PRESSES = 40


@pytest.fixture
def demo(transactional_db, isolated_model_dir):
    call_command("setup_demo", stdout=StringIO())
    return Tweet.objects.unlabelled().count()


def annotate(page, key: str, until) -> list[int]:
    """Press `key` on each tweet shown until `until(tweet ids so far)` holds."""
    # The priority order (a model refitted for the queue), the same for both annotators.
    page.goto("/admin/sentiment/tweet/annotate/?order=priority")
    page.wait_for_selector('#annotate[data-state="ready"]')
    assert "suggests" in page.inner_text("#annotate-suggestion")
    done: list[int] = []
    while not until(done):
        assert len(done) < MAX_PRESSES
        tweet = shown_tweet(page)
        page.keyboard.press(key)
        wait_for_other_tweet(page, tweet)
        done.append(tweet)
    wait_until_saved(page)
    return done


def test_the_demo_can_be_annotated_and_its_agreement_read(page, make_member, demo):
    assert demo >= 300  # the demo's tweets to annotate
    for name in ("ann", "bob"):
        make_member("annotators", name)
    make_member("reviewers", "rev")
    overlap = set(Tweet.objects.filter(annotations_wanted=2).values_list("pk", flat=True))
    assert overlap

    log_in(page, "ann")
    # Until ann has labelled a tweet that asks for a second annotator.
    ann = annotate(page, "1", lambda done: len(done) >= 5 and overlap & set(done))
    page.context.clear_cookies()
    log_in(page, "bob")
    # Bob's queue follows the same order: ann's open overlap tweets come first to him.
    shared = overlap & set(ann)
    annotate(page, "3", lambda done: shared <= set(done))

    assert set(
        Annotation.objects.filter(annotator__username="ann").values_list("tweet", flat=True)
    ) == set(ann)
    assert all(Tweet.objects.get(pk=pk).source == "demo" for pk in ann)
    page.context.clear_cookies()
    log_in(page, "rev")
    page.goto("/admin/sentiment/tweet/agreement/")
    assert "ann · bob" in page.inner_text("#pairs")
    assert page.locator("#disagreements tr[data-tweet]").count() == len(shared)
    screenshot(page, "demo-agreement")
    assert page.errors == []
