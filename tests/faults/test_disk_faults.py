"""Saving a model on a full disk or into a read-only folder: a clear error, nothing activated.

The model folder is a real small filesystem (a tmpfs mounted by the test, which needs root):
its writes fail with the kernel's own ENOSPC and EROFS, as a full or read-only disk would.
"""

from __future__ import annotations

import os
import subprocess

import pytest
from django.core.management import CommandError

from sentiment.models import ModelVersion, TrainingRun
from tests.conftest import install_version, require, retrain

KB = 1024


def mount_tmpfs(path, size_kb: int) -> None:
    path.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    require(result.returncode == 0, f"needs to mount a tmpfs (root): {result.stderr.strip()}")


@pytest.fixture
def small_model_folder(tmp_path, settings, trained_artifacts):
    """A model folder with room for the serving model and little more, on its own filesystem."""
    mount = tmp_path / "disk"
    files = sum(f.stat().st_size for f in trained_artifacts.directory.iterdir())
    mount_tmpfs(mount, files // KB + 64)
    settings.SENTIMENT_MODEL_DIR = mount
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def retrain_fails_with(reason: str) -> None:
    with pytest.raises(CommandError) as failure:
        retrain()
    assert str(failure.value).startswith("retrain failed: cannot write the model to")
    assert reason in str(failure.value)


def assert_the_champion_alone_serves(client, champion, folder) -> None:
    assert list(ModelVersion.objects.values_list("pk", flat=True)) == [champion.pk]
    assert ModelVersion.objects.get(is_active=True) == champion
    assert os.listdir(folder) == [champion.directory]  # no half-written folder left
    run = TrainingRun.objects.get()
    assert run.status == "failed"
    assert "cannot write the model" in run.error
    response = client.post("/api/predict", data={"tweets": ["ok"]}, content_type="application/json")
    assert response["X-Model-Version"] == str(champion.pk)


def test_a_full_disk_fails_the_retrain_and_activates_nothing(
    client, demo_tweets, trained_artifacts, small_model_folder
):
    champion = install_version(trained_artifacts, small_model_folder)

    retrain_fails_with("No space left on device")

    assert_the_champion_alone_serves(client, champion, small_model_folder)


def test_a_read_only_model_folder_fails_the_retrain_and_activates_nothing(
    client, demo_tweets, trained_artifacts, small_model_folder
):
    champion = install_version(trained_artifacts, small_model_folder)
    subprocess.run(["mount", "-o", "remount,ro", str(small_model_folder)], check=True)

    retrain_fails_with("Read-only file system")

    assert_the_champion_alone_serves(client, champion, small_model_folder)
