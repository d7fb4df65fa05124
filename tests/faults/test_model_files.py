"""Model files that are corrupted or missing: the last good model serves, or a clear 503."""

from __future__ import annotations

import pytest

from sentiment.ml.artifacts import MODEL_FILE, VECTORIZER_FILE
from sentiment.models import ModelVersion
from sentiment.services import versions
from sentiment.services.registry import registry
from tests.conftest import install_version

pytestmark = pytest.mark.django_db

TWEETS = {"tweets": ["what a great match"]}


def predict(client):
    return client.post("/api/predict", data=TWEETS, content_type="application/json")


def corrupt(path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte, as a bad disk sector would
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda folder: corrupt(folder / MODEL_FILE), id="a flipped byte"),
        pytest.param(lambda folder: (folder / VECTORIZER_FILE).unlink(), id="a missing file"),
        pytest.param(lambda folder: (folder / MODEL_FILE).write_bytes(b""), id="an empty file"),
    ],
)
def test_a_damaged_new_version_is_refused_and_the_last_good_one_serves(
    client, trained_artifacts, isolated_model_dir, damage, caplog
):
    good = install_version(trained_artifacts, isolated_model_dir)
    assert predict(client)["X-Model-Version"] == str(good.pk)  # loaded and serving
    new = install_version(trained_artifacts, isolated_model_dir)  # verified, then activated
    damage(isolated_model_dir / new.directory)

    responses = [predict(client) for _ in range(3)]
    model = client.get("/api/model").json()

    assert {r.status_code for r in responses} == {200}
    assert {r["X-Model-Version"] for r in responses} == {str(good.pk)}
    assert client.get("/api/health").json() == {"status": "ok", "model_version": good.pk}
    assert (model["model_version"], model["serving_version"]) == (new.pk, good.pk)
    assert f"refusing model version {new.pk}" in caplog.text


@pytest.mark.parametrize("name", [MODEL_FILE, VECTORIZER_FILE])
def test_with_no_good_model_it_answers_503_saying_what_to_do(
    client, trained_artifacts, isolated_model_dir, name
):
    version = install_version(trained_artifacts, isolated_model_dir)
    corrupt(isolated_model_dir / version.directory / name)
    registry.reset()  # a server process starting now

    response = predict(client)
    health = client.get("/api/health")

    assert response.status_code == 503
    assert response.json() == {
        "error": "model_unavailable",
        "detail": f"model version {version.pk} failed its integrity check and no earlier model "
        "is loaded; activate a good version (`python manage.py activate_model N`)",
    }
    assert health.status_code == 503
    assert health.json()["model_version"] is None


def test_activating_a_good_version_ends_the_outage(client, trained_artifacts, isolated_model_dir):
    broken = install_version(trained_artifacts, isolated_model_dir)
    (isolated_model_dir / broken.directory / MODEL_FILE).unlink()
    registry.reset()
    assert predict(client).status_code == 503

    good = install_version(trained_artifacts, isolated_model_dir, activate=False)
    versions.activate(good.pk, reason="rollback to a good version")

    response = predict(client)
    assert response.status_code == 200
    assert response["X-Model-Version"] == str(good.pk)


def test_a_damaged_version_cannot_be_activated(trained_artifacts, isolated_model_dir):
    good = install_version(trained_artifacts, isolated_model_dir)
    other = install_version(trained_artifacts, isolated_model_dir, activate=False)
    corrupt(isolated_model_dir / other.directory / VECTORIZER_FILE)

    with pytest.raises(versions.VersionError, match="does not match the recorded"):
        versions.activate(other.pk)

    assert ModelVersion.objects.active() == good
