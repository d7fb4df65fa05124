"""A reviewer clicks "Train a new version now"; a real worker trains it; the page follows."""

from __future__ import annotations

import time

import pytest

from sentiment.models import ModelVersion
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_retrain_button_trains_and_serves_a_new_version(
    page, redis_broker, worker_for, make_member, demo_tweets_committed, live_server
):
    make_member("reviewers", "rita")
    log_in(page, "rita")

    with worker_for(redis_broker) as worker:
        page.goto("/admin/sentiment/modelversion/")
        started = time.monotonic()
        page.click("#retrain-button")
        page.wait_for_url("**/admin/sentiment/job/**/change/")
        # The job page refreshes itself every 2 s until the job has finished.
        deadline = time.monotonic() + 240
        while "succeeded" not in page.inner_text("#content"):
            assert "failed" not in page.inner_text("#content"), page.inner_text("#content")
            assert time.monotonic() < deadline, worker.log_text()
            page.wait_for_timeout(500)
        seconds = time.monotonic() - started

    content = page.inner_text("#content")
    version = ModelVersion.objects.active()
    assert version is not None
    assert f"Version {version.pk} is now active" in content
    assert "Gate: macro recall" in content
    screenshot(page, "retrain-job")
    health = page.request.get(f"{live_server.url}/api/health").json()
    assert health["model_version"] == version.pk
    page.goto("/admin/sentiment/modelversion/")
    assert page.locator("#result_list tbody tr").count() == 1
    print(f"click to serving: {seconds:.1f}s")
