"""The model dashboard and the agreement page in a real browser, as a reviewer."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry

from sentiment.models import Tweet
from sentiment.services import annotation
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def disagreement(transactional_db, make_member):
    ann, bob = make_member("annotators", "ann"), make_member("annotators", "bob")
    reviewer = make_member("reviewers", "rev")
    tweets = [Tweet.objects.create(text=f"Bof, pas terrible… ou si ? 🤔 {n}") for n in range(3)]
    ids = [t.pk for t in tweets]
    annotation.set_wanted(ids, reviewer, 2)
    annotation.annotate(ids, ann, "neutral")
    annotation.annotate(ids[:2], bob, "neutral")
    annotation.annotate(ids[2:], bob, "negative")  # a tie on the last one
    return reviewer, tweets[2]


def test_a_reviewer_reads_the_agreement_and_settles_a_tie(page, disagreement):
    reviewer, tied = disagreement
    log_in(page, "rev")

    page.goto("/admin/sentiment/tweet/agreement/")
    assert page.inner_text("#overall-agreement") == "67%"
    assert "ann · bob" in page.inner_text("#pairs")
    row = page.locator(f'#disagreements tr[data-tweet="{tied.pk}"]')
    assert "ann: neutral" in row.inner_text()
    screenshot(page, "agreement")
    row.locator("button[value=negative]").click()
    page.wait_for_selector(".messagelist .success")

    tied.refresh_from_db()
    assert (tied.label, tied.review) == ("negative", "settled")
    assert LogEntry.objects.filter(user=reviewer, object_id=str(tied.pk)).exists()
    assert page.locator("#disagreements").count() == 0  # nothing left to settle
    assert page.errors == []


def test_a_reviewer_opens_the_model_dashboard(page, disagreement, active_model):
    log_in(page, "rev")

    page.goto("/admin/sentiment/modelversion/")
    page.click("text=Dashboard")
    page.wait_for_selector("#metrics-chart svg")

    assert page.locator("#progress-chart svg").count() == 1
    assert page.locator(f"#matrix-{active_model.pk} td").count() == 9
    assert "waiting for a reviewer" in page.inner_text("#label-distribution")
    assert "ann" in page.inner_text("#annotators")
    screenshot(page, "dashboard")
    assert page.errors == []
