"""Reviewers train a new version from the admin; a worker runs it; the page follows it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from sentiment.models import Job, JobLock, ModelVersion, TrainingRun
from sentiment.services import locks
from tests.conftest import PASSWORD
from tests.jobs.conftest import wait_for_job

RETRAIN = "admin:sentiment_modelversion_retrain"
VERSIONS = "admin:sentiment_modelversion_changelist"


def logged_in(user) -> Client:
    client = Client()
    assert client.login(username=user.get_username(), password=PASSWORD)
    return client


@pytest.mark.slow
def test_a_reviewer_trains_a_version_on_a_worker(
    broker, worker_for, make_member, demo_tweets_committed
):
    reviewer = make_member("reviewers", "rita")
    client = logged_in(reviewer)

    with worker_for(broker) as worker:
        response = client.post(reverse(RETRAIN))
        job = Job.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:sentiment_job_change", args=[job.pk])
        job = wait_for_job(job.pk, worker=worker)

    assert job.state == "succeeded", job.message
    version = ModelVersion.objects.active()
    assert version is not None
    run = TrainingRun.objects.get()
    assert (run.trigger, run.started_by, run.version) == ("admin", reviewer, version)
    page = client.get(reverse("admin:sentiment_job_change", args=[job.pk])).content.decode()
    assert f"Version {version.pk} is now active" in page
    assert "Gate: macro recall" in page
    assert 'class="confusion"' in page


def test_a_second_click_says_the_first_is_waiting(make_member, demo_tweets):
    client = logged_in(make_member("reviewers", "rita"))

    client.post(reverse(RETRAIN))
    page = client.post(reverse(RETRAIN), follow=True).content.decode()

    assert Job.objects.count() == 1
    assert "No new training started" in page
    assert "already queued (started by rita, since" in page


def test_a_click_while_a_retrain_runs_says_who_holds_the_lock_since_when(make_member, db):
    held = locks.acquire("retrain", held_by="admin retrain by olga")
    try:
        client = logged_in(make_member("reviewers", "rita"))
        page = client.post(reverse(RETRAIN), follow=True).content.decode()
    finally:
        locks.release(held)

    since = JobLock(acquired_at=held.row.acquired_at)
    assert "a retrain is already running (admin retrain by olga, since " in page
    assert since.acquired_at.strftime("%Y-%m-%d") in page
    assert not Job.objects.exists()


def test_annotators_do_not_see_the_button_and_cannot_post(make_member, db):
    client = logged_in(make_member("annotators", "ann"))

    assert client.post(reverse(RETRAIN)).status_code == 403
    reviewer = logged_in(make_member("reviewers", "rita"))
    assert "Train a new version now" in reviewer.get(reverse(VERSIONS)).content.decode()
    assert not Job.objects.exists()


def test_with_the_broker_down_the_admin_says_the_job_could_not_be_queued(settings, make_member, db):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"  # nothing listens on the discard port
    client = logged_in(make_member("reviewers", "rita"))

    page = client.post(reverse(RETRAIN), follow=True).content.decode()

    assert "could not be queued, the job broker is unreachable" in page
    assert Job.objects.get().state == "failed"
