"""`manage.py activate_model N`: rollback to any good version, with the history kept."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from sentiment.models import Activation, ModelVersion
from tests.conftest import install_version


@pytest.fixture
def two_versions(db, trained_artifacts, isolated_model_dir):
    first = install_version(trained_artifacts, isolated_model_dir)
    second = install_version(trained_artifacts, isolated_model_dir)
    return first, second


def version_served(client) -> str:
    response = client.post(
        "/api/predict", data=json.dumps({"tweets": ["hi"]}), content_type="application/json"
    )
    return response["X-Model-Version"]


def test_activate_model_rolls_back_and_the_api_follows(client, two_versions):
    first, second = two_versions
    assert version_served(client) == str(second.pk)
    out = StringIO()

    call_command("activate_model", str(first.pk), "--reason", "bad week", stdout=out)

    assert f"Version {first.pk} is active" in out.getvalue()
    assert ModelVersion.objects.active() == first
    assert version_served(client) == str(first.pk)


def test_the_history_says_which_version_served_when(two_versions):
    first, second = two_versions

    call_command("activate_model", str(first.pk), "--reason", "bad week", stdout=StringIO())

    history = list(Activation.objects.order_by("activated_at", "pk"))
    assert [(a.version, a.previous) for a in history] == [
        (first, None),
        (second, first),
        (first, second),
    ]
    assert history[-1].reason == "bad week"


def test_exactly_one_version_is_active(two_versions):
    first, _second = two_versions

    call_command("activate_model", str(first.pk), stdout=StringIO())

    assert ModelVersion.objects.filter(is_active=True).count() == 1


def test_an_unknown_version_is_refused(two_versions):
    with pytest.raises(CommandError, match="there is no model version 999"):
        call_command("activate_model", "999")


def test_a_version_that_was_never_completely_saved_is_refused(two_versions):
    broken = ModelVersion.objects.create(sklearn_version="1", directory="v9999")

    with pytest.raises(CommandError, match="never completely saved"):
        call_command("activate_model", str(broken.pk))
    assert ModelVersion.objects.active() == two_versions[1]
