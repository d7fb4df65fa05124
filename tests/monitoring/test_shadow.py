"""Shadow scoring: a reviewer puts a version in shadow, live requests are compared off the
request path, the dashboard shows agreement and flips, activation ends it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sentiment.ml.artifacts import save_artifacts
from sentiment.ml.train import fit_model
from sentiment.models import ShadowRun
from sentiment.services import shadow, versions
from tests.conftest import TrainedArtifacts, install_version
from tests.monitoring.test_metrics import scrape, value

CHANGELIST = reverse("admin:sentiment_modelversion_changelist")
DASHBOARD = reverse("admin:sentiment_modelversion_dashboard")
# A model that learnt every label as the next one: it disagrees with the serving one.
ROTATE = {"negative": "neutral", "neutral": "positive", "positive": "negative"}
TWEETS = [
    "I love it, best day ever 😍",
    "worst service ever, I hate it 😡",
    "Ceci est un tweet positif 😍",
    "le train est en retard, encore",
]


@pytest.fixture(scope="module")
def rotated_artifacts(tmp_path_factory, demo_rows) -> TrainedArtifacts:
    texts = [text for text, _ in demo_rows]
    labels = [ROTATE[label] for _, label in demo_rows]
    fit = fit_model(texts, labels)
    directory = tmp_path_factory.mktemp("rotated") / "model"
    checksums = save_artifacts(directory, fit.vectorizer, fit.classifier, {})
    return TrainedArtifacts(directory, checksums, {}, {})


@pytest.fixture
def reviewer_client(client, make_member):
    client.force_login(make_member("reviewers", "rev"))
    return client


@pytest.fixture(autouse=True)
def empty_queue():
    shadow.scorer.reset()
    yield
    shadow.scorer.reset()


def put_in_shadow(client, version) -> None:
    response = client.post(
        CHANGELIST, {"action": "shadow_selected", "_selected_action": [version.pk]}, follow=True
    )
    assert response.status_code == 200
    assert f"Version {version.pk} is in shadow" in response.content.decode()


def predict(client, tweets) -> dict:
    response = client.post("/api/predict", {"tweets": tweets}, content_type="application/json")
    assert response.status_code == 200
    return response.json()


def test_a_reviewer_compares_a_version_in_shadow_with_the_serving_one(
    reviewer_client, active_model, rotated_artifacts, isolated_model_dir, settings
):
    candidate = install_version(rotated_artifacts, isolated_model_dir, activate=False)
    put_in_shadow(reviewer_client, candidate)
    run = ShadowRun.objects.get()
    run.sample_rate = 1.0
    run.save()
    shadow.scorer.refresh()  # what each worker's thread does every SHADOW_POLL_SECONDS

    for tweet in TWEETS:
        answer = predict(reviewer_client, [tweet])
    # The answer is the serving version's, whatever the shadow says.
    assert answer == predict(reviewer_client, [TWEETS[-1]])
    shadow.scorer.drain()

    run.refresh_from_db()
    assert run.compared == len(TWEETS) + 1
    assert run.agreements < run.compared
    assert sum(run.flips.values()) == run.compared - run.agreements
    flip, _, examples = run.flips_with_examples()[0]
    assert examples
    assert set(examples) <= set(TWEETS)
    page = reviewer_client.get(DASHBOARD).content.decode()
    assert f'id="shadow-run-{run.pk}"' in page
    assert flip in page
    assert examples[0].replace("'", "&#x27;") in page
    scraped = scrape(reviewer_client)
    v = str(candidate.pk)
    assert value(scraped, "socialmetrics_shadow_compared_total", model_version=v) == run.compared

    # Activation ends the shadow run; requests are no longer handed to it.
    versions.activate(candidate.pk, reason="test")
    run.refresh_from_db()
    assert run.ended_at is not None
    assert run.end_reason == "activated"
    shadow.scorer.refresh()
    predict(reviewer_client, TWEETS)
    shadow.scorer.drain()
    run.refresh_from_db()
    assert run.compared == len(TWEETS) + 1


def test_the_same_model_in_shadow_agrees_everywhere(
    reviewer_client, active_model, trained_artifacts, isolated_model_dir
):
    twin = install_version(trained_artifacts, isolated_model_dir, activate=False)
    shadow.start(twin.pk, sample_rate=1.0)
    shadow.scorer.refresh()
    predict(reviewer_client, TWEETS)
    shadow.scorer.drain()
    run = ShadowRun.objects.get()
    assert (run.compared, run.agreements, run.flips) == (len(TWEETS), len(TWEETS), {})
    assert run.mean_score_difference == 0


def test_it_ends_by_hand_and_only_samples_its_share(
    reviewer_client, active_model, trained_artifacts, isolated_model_dir
):
    twin = install_version(trained_artifacts, isolated_model_dir, activate=False)
    shadow.start(twin.pk, sample_rate=0.25)
    shadow.scorer.refresh()
    for i in range(200):
        predict(reviewer_client, [f"tweet {i}"])
    shadow.scorer.drain()
    compared = ShadowRun.objects.get().compared
    assert 20 <= compared <= 80  # a quarter of 200, give or take chance

    response = reviewer_client.post(
        CHANGELIST, {"action": "end_shadow", "_selected_action": [twin.pk]}, follow=True
    )
    assert "The shadow run has ended." in response.content.decode()
    assert ShadowRun.objects.get().end_reason == "ended by rev"


def test_a_full_queue_drops_requests_instead_of_delaying_them(
    client, active_model, trained_artifacts, isolated_model_dir, settings
):
    twin = install_version(trained_artifacts, isolated_model_dir, activate=False)
    shadow.start(twin.pk, sample_rate=1.0)
    shadow.scorer.refresh()
    before = value(scrape(client), "socialmetrics_shadow_dropped_total")
    capacity = settings.SHADOW_QUEUE_SIZE
    for i in range(capacity + 5):  # nothing empties the queue: no thread in tests
        predict(client, [f"tweet {i}"])
    assert value(scrape(client), "socialmetrics_shadow_dropped_total") - before == 5


def test_annotators_cannot_start_a_shadow_run(client, make_member, active_model):
    client.force_login(make_member("annotators", "ann"))
    response = client.post(
        CHANGELIST, {"action": "shadow_selected", "_selected_action": [active_model.pk]}
    )
    assert response.status_code == 403
    assert not ShadowRun.objects.exists()
