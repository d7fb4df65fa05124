"""Only files whose SHA-256 matches the recorded one are ever unpickled."""

from __future__ import annotations

import json
import logging

import pytest
from django.core.management import CommandError, call_command

from sentiment.ml.artifacts import MODEL_FILE, VECTORIZER_FILE
from sentiment.models import ModelVersion
from tests.conftest import install_version

pytestmark = pytest.mark.django_db


def served_version(client) -> tuple[int, str | None]:
    response = client.post(
        "/api/predict", data=json.dumps({"tweets": ["hi"]}), content_type="application/json"
    )
    return response.status_code, response.get("X-Model-Version")


def tamper(path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("name", [MODEL_FILE, VECTORIZER_FILE])
def test_activate_model_refuses_a_tampered_version(trained_artifacts, isolated_model_dir, name):
    good = install_version(trained_artifacts, isolated_model_dir)
    bad = install_version(trained_artifacts, isolated_model_dir, activate=False)
    tamper(isolated_model_dir / bad.directory / name)

    with pytest.raises(CommandError, match=f"{name}: SHA-256 .* does not match"):
        call_command("activate_model", str(bad.pk))

    assert ModelVersion.objects.active() == good


def test_a_file_tampered_after_activation_is_refused_and_the_last_good_model_serves(
    client, trained_artifacts, isolated_model_dir, caplog
):
    good = install_version(trained_artifacts, isolated_model_dir)
    assert served_version(client) == (200, str(good.pk))
    bad = install_version(trained_artifacts, isolated_model_dir, activate=False)
    ModelVersion.objects.filter(pk=good.pk).update(is_active=None)
    ModelVersion.objects.filter(pk=bad.pk).update(is_active=True)  # as if activated, then:
    tamper(isolated_model_dir / bad.directory / MODEL_FILE)

    with caplog.at_level(logging.ERROR, logger="sentiment.services.registry"):
        assert served_version(client) == (200, str(good.pk))

    assert f"refusing model version {bad.pk}" in caplog.text
    assert "does not match" in caplog.text


def test_with_no_good_model_the_api_answers_503_saying_why(
    client, trained_artifacts, isolated_model_dir
):
    version = install_version(trained_artifacts, isolated_model_dir)
    tamper(isolated_model_dir / version.directory / VECTORIZER_FILE)

    response = client.post(
        "/api/predict", data=json.dumps({"tweets": ["hi"]}), content_type="application/json"
    )

    assert response.status_code == 503
    assert "failed its integrity check" in response.json()["detail"]


def test_a_missing_file_is_refused(client, trained_artifacts, isolated_model_dir):
    version = install_version(trained_artifacts, isolated_model_dir)
    (isolated_model_dir / version.directory / MODEL_FILE).unlink()

    assert served_version(client)[0] == 503
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("activate_model", str(version.pk))


def test_a_scikit_learn_version_mismatch_is_logged_clearly(
    client, trained_artifacts, isolated_model_dir, caplog
):
    version = install_version(trained_artifacts, isolated_model_dir)
    ModelVersion.objects.filter(pk=version.pk).update(sklearn_version="0.24.2")

    with caplog.at_level(logging.WARNING, logger="sentiment.services.registry"):
        assert served_version(client) == (200, str(version.pk))

    assert "trained with scikit-learn 0.24.2" in caplog.text
