"""Model versions and training runs in the admin: read-only, with metrics and confusion matrix."""

from __future__ import annotations

import pytest
from django.core.management import CommandError
from django.urls import reverse

from sentiment.models import Job, ModelVersion, TrainingRun
from sentiment.services import jobs
from tests.conftest import retrain


def test_versions_are_listed_with_their_metrics(admin_client, active_model):
    response = admin_client.get(reverse("admin:sentiment_modelversion_changelist"))

    page = response.content.decode()
    assert response.status_code == 200
    assert f"{active_model.metrics['macro_recall']:.3f}" in page
    assert f"{active_model.metrics['accuracy']:.3f}" in page


def test_a_version_shows_its_confusion_matrix_read_only(admin_client, active_model):
    url = reverse("admin:sentiment_modelversion_change", args=[active_model.pk])

    response = admin_client.get(url)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="confusion"' in page
    matrix = active_model.metrics["confusion_matrix"]["matrix"]
    for value in matrix[0]:
        assert f"<td>{value}</td>" in page
    assert 'type="submit" value="Save"' not in page
    assert admin_client.get(reverse("admin:sentiment_modelversion_add")).status_code == 403


def test_a_failed_run_is_listed(admin_client, db):
    with pytest.raises(CommandError, match="no annotated tweets"):
        retrain()

    response = admin_client.get(reverse("admin:sentiment_trainingrun_changelist"))

    assert TrainingRun.objects.get().status == "failed"
    assert "no annotated tweets" in response.content.decode()


def test_rollback_from_the_admin(
    admin_client, admin_user, active_model, trained_artifacts, isolated_model_dir
):
    from tests.conftest import install_version

    newer = install_version(trained_artifacts, isolated_model_dir)
    assert ModelVersion.objects.active() == newer

    response = admin_client.post(
        reverse("admin:sentiment_modelversion_changelist"),
        {"action": "activate_selected", "_selected_action": [str(active_model.pk)]},
        follow=True,
    )

    # The request only queues the job; a worker runs it (here: the same service, in-process).
    assert f"Activating version {active_model.pk}" in response.content.decode()
    assert ModelVersion.objects.active() == newer
    job = Job.objects.get()
    jobs.run(str(job.pk))
    job.refresh_from_db()
    assert job.message.startswith(f"Version {active_model.pk} is active")
    assert ModelVersion.objects.active() == active_model
    assert active_model.activations.latest("activated_at").activated_by == admin_user
