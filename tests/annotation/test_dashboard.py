"""The model dashboard: metrics over versions, confusion matrices, labels, progress."""

from __future__ import annotations

from django.urls import reverse

from sentiment.models import Tweet
from tests.annotation.conftest import LABEL_URL, logged_in, make_tweets, post_json

DASHBOARD = reverse("admin:sentiment_modelversion_dashboard")


def test_the_dashboard_draws_metrics_matrices_labels_and_progress(
    reviewer, annotator, active_model, demo_tweets
):
    for tweet in make_tweets(["à faire 1", "à faire 2", "à faire 3"]):
        post_json(logged_in(annotator), LABEL_URL, {"tweet": tweet.pk, "label": "neutral"})

    response = logged_in(reviewer).get(DASHBOARD)

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<svg") >= 2 + 1  # two charts (the admin's icon sprite is one more)
    assert "model version" in page  # the metrics chart's axis
    matrix = active_model.metrics["confusion_matrix"]
    (shown,) = response.context["matrices"]
    assert [[cell.value for cell in cells] for _, cells in shown.rows] == matrix["matrix"]
    assert "background-color: rgba(65, 118, 144," in page
    distribution = {name: n for name, n, _ in response.context["distribution"]}
    labelled = Tweet.objects.labelled()
    assert distribution["neutral"] == labelled.filter(label="neutral").count()
    assert distribution["not yet annotated"] == 0
    (person,) = response.context["annotators"]
    assert (person.name, person.total, person.last_days) == ("ann", 3, 3)
    assert "https://" not in page  # nothing loaded from elsewhere, no CDN


def test_the_dashboard_works_before_any_model(reviewer, db):
    response = logged_in(reviewer).get(DASHBOARD)

    assert response.status_code == 200
    assert "No model version yet" in response.content.decode()


def test_the_model_list_links_to_the_dashboard(reviewer, db):
    response = logged_in(reviewer).get(reverse("admin:sentiment_modelversion_changelist"))

    assert DASHBOARD in response.content.decode()
