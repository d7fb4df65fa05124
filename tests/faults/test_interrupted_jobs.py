"""Jobs killed midway (kill -9): nothing half-written, no lock left behind, the next run works."""

from __future__ import annotations

import csv
import os
import signal
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from sentiment.models import JobLock, ModelVersion, TrainingRun, Tweet
from tests.conftest import install_version, retrain
from tests.servers import start_command

ROWS = 80_000


def wait_for(condition, *, timeout: float = 120, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def read_position(pid: int, path: Path) -> int:
    """How far process `pid` has read into `path` (0 until it has opened it)."""
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == str(path):
                info = Path(f"/proc/{pid}/fdinfo/{fd}").read_text()
                return int(info.split("pos:")[1].split()[0])
        except (FileNotFoundError, ProcessLookupError):
            return 0
    return 0


@pytest.fixture
def big_file(tmp_path) -> Path:
    path = tmp_path / "big.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label"])
        for i in range(ROWS):
            writer.writerow([f"tweet number {i} about the match, c'était génial 🎉 #{i % 97}", ""])
    return path


@pytest.mark.slow
def test_an_import_killed_midway_leaves_the_table_as_it_was(
    subprocess_env, demo_tweets_committed, big_file
):
    size = big_file.stat().st_size
    importing = start_command(subprocess_env, "import_tweets", str(big_file))
    try:
        wait_for(
            lambda: read_position(importing.pid, big_file) > size // 3,
            what="the import to read a third of the file",
        )
        importing.send_signal(signal.SIGKILL)
    finally:
        importing.wait(timeout=30)

    assert importing.returncode == -signal.SIGKILL
    assert Tweet.objects.count() == demo_tweets_committed

    out = StringIO()
    call_command("import_tweets", str(big_file), stdout=out)
    assert f"Imported {ROWS:,} tweets" in out.getvalue()
    assert Tweet.objects.count() == demo_tweets_committed + ROWS


@pytest.mark.slow
def test_a_retrain_killed_midway_leaves_no_lock_and_the_next_one_works(
    subprocess_env, demo_tweets_committed, trained_artifacts, isolated_model_dir
):
    champion = install_version(trained_artifacts, isolated_model_dir)
    first = start_command(subprocess_env, "retrain")
    try:
        wait_for(
            lambda: TrainingRun.objects.filter(train_size__isnull=False).exists(),
            what="the retrain to start fitting",
        )
        first.send_signal(signal.SIGSTOP)  # holding the lock, midway
        second = start_command(subprocess_env, "retrain")
        _, refused = second.communicate(timeout=120)
        first.send_signal(signal.SIGKILL)
    finally:
        first.kill()
        first.wait(timeout=30)

    assert second.returncode == 1
    assert refused.startswith("CommandError: retrain failed: another retrain is running")
    assert JobLock.objects.get().pid == first.pid  # the killed run's lock is still there
    assert ModelVersion.objects.get(is_active=True) == champion

    output = retrain()

    runs = {run.pid: run for run in TrainingRun.objects.all()}
    assert "is now active" in output
    assert ModelVersion.objects.get(is_active=True) != champion
    assert runs[first.pid].status == "failed"
    assert runs[first.pid].error.startswith("interrupted")
    assert runs[os.getpid()].status == "succeeded"
    assert not JobLock.objects.exists()
    assert not [name for name in os.listdir(isolated_model_dir) if ".partial" in name]
