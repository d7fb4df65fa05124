"""/metrics: Prometheus' text format, counted from real requests, for allowed callers only."""

from __future__ import annotations

import os
import signal
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from sentiment.models import TrainingRun
from tests.conftest import install_version
from tests.factories import TweetFactory
from tests.servers import get, gunicorn, post_json


def samples(text: str) -> dict[tuple, float]:
    """{(name, sorted label pairs): value} for every sample of an exposition."""
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(scraped: dict, name: str, **labels: str) -> float:
    return scraped.get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(client, **headers) -> dict:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return samples(response.content.decode())


def test_predictions_are_counted_by_version_label_and_score(client, active_model):
    before = scrape(client)
    v = str(active_model.pk)
    tweets = ["I love it, best day ever 😍", "worst service ever, I hate it 😡", "ok"]
    response = client.post("/api/predict", {"tweets": tweets}, content_type="application/json")
    assert response.status_code == 200
    detail = client.post(
        "/api/predict", {"tweets": tweets[:1], "detail": True}, content_type="application/json"
    ).json()
    after = scrape(client)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("socialmetrics_tweets_scored_total", model_version=v) == 4
    labels = {
        label: delta("socialmetrics_predicted_labels_total", model_version=v, label=label)
        for label in ("negative", "neutral", "positive")
    }
    assert sum(labels.values()) == 4
    assert labels[detail["results"][0]["label"]] >= 1
    assert delta("socialmetrics_prediction_score_count", model_version=v) == 4
    assert delta("socialmetrics_prediction_score_bucket", model_version=v, le="+Inf") == 4
    # The positive tweet's score lands in a bucket above 0.
    assert delta("socialmetrics_prediction_score_bucket", model_version=v, le="0.0") <= 3
    assert (
        delta(
            "socialmetrics_http_requests_total",
            route="predict",
            method="POST",
            status="200",
            model_version=v,
        )
        == 2
    )
    assert (
        delta("socialmetrics_http_request_duration_seconds_count", route="predict", model_version=v)
        == 2
    )


def test_errors_are_counted_by_status(client, active_model):
    before = scrape(client)
    client.post("/api/predict", {"tweets": "no"}, content_type="application/json")
    client.get("/api/nothing-here")
    after = scrape(client)
    for labels in (
        {"route": "predict", "method": "POST", "status": "400", "model_version": "none"},
        {"route": "unmatched", "method": "GET", "status": "404", "model_version": "none"},
    ):
        name = "socialmetrics_http_requests_total"
        assert value(after, name, **labels) - value(before, name, **labels) == 1, labels


def test_database_figures_are_read_at_scrape_time(client, active_model):
    TweetFactory(text="waiting for a label")
    TweetFactory(text="labelled", label="positive")
    TrainingRun.objects.create(trigger="manual", status="rejected")
    scraped = scrape(client)
    assert value(scraped, "socialmetrics_annotation_backlog") == 1
    assert value(scraped, "socialmetrics_retrain_runs_total", outcome="rejected") == 1
    assert value(scraped, "socialmetrics_retrain_runs_total", outcome="succeeded") == 0
    assert value(scraped, "socialmetrics_active_model_version") == active_model.pk


def test_it_refuses_other_addresses_and_proxied_requests(client, db):
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    # A reverse proxy on the same host connects from 127.0.0.1: its requests are not local.
    response = client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"


def test_a_bearer_token_opens_it_from_anywhere(client, db, settings):
    settings.METRICS_TOKEN = "s3cret-for-tests"
    settings.METRICS_ALLOWED_IPS = ()
    assert client.get("/metrics").status_code == 403
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope", REMOTE_ADDR="203.0.113.9")
    assert wrong.status_code == 403
    right = client.get(
        "/metrics", HTTP_AUTHORIZATION="Bearer s3cret-for-tests", REMOTE_ADDR="203.0.113.9"
    )
    assert right.status_code == 200


def test_an_allowed_network_lets_its_addresses_in(client, db, settings):
    settings.METRICS_ALLOWED_IPS = ("10.0.0.0/8",)
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics").status_code == 403


@pytest.mark.slow
def test_two_workers_add_up_and_a_dead_workers_counts_stay(
    subprocess_env, trained_artifacts, isolated_model_dir, tmp_path
):
    version = install_version(trained_artifacts, isolated_model_dir)
    folder = tmp_path / "prometheus"
    env = {**subprocess_env, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    with gunicorn(env, tmp_path / "gunicorn.log", workers=2) as server:
        sent = 0
        # Each request on a new connection: the two workers take them in turn as they accept.
        while len({p.name.split("_")[-1] for p in folder.glob("counter_*.db")}) < 2 or sent < 20:
            status, _, _ = post_json(server.url + "/api/predict", {"tweets": ["good", "bad"]})
            assert status == 200
            sent += 1
            assert sent < 500, "one worker took every request"
        v = str(version.pk)
        for _ in range(4):  # whichever worker answers the scrape, the totals are the same
            status, _, body = get(server.url + "/metrics")
            assert status == 200
            scraped = samples(body.decode())
            assert value(scraped, "socialmetrics_tweets_scored_total", model_version=v) == 2 * sent
            requests = value(
                scraped,
                "socialmetrics_http_requests_total",
                route="predict",
                method="POST",
                status="200",
                model_version=v,
            )
            assert requests == sent

        # A worker that dies (gunicorn starts another) leaves its counts in the totals.
        os.kill(server.workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            status, _, body = get(server.url + "/metrics")
            if status == 200:
                break
            time.sleep(0.2)
        scraped = samples(body.decode())
        assert value(scraped, "socialmetrics_tweets_scored_total", model_version=v) == 2 * sent
