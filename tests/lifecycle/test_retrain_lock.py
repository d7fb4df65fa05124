"""One retrain at a time: a lock in the database that no crashed run leaves behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from datetime import timedelta

import pytest
from django.core.management import CommandError
from django.utils import timezone

from sentiment.models import JobLock, ModelVersion, TrainingRun
from tests.conftest import retrain
from tests.servers import run_command, start_command


def hold_lock(*, host: str, pid: int, heartbeat_age: float = 0.0) -> JobLock:
    beat = timezone.now() - timedelta(seconds=heartbeat_age)
    return JobLock.objects.create(
        name="retrain", owner="other", host=host, pid=pid, acquired_at=beat, heartbeat_at=beat
    )


@pytest.fixture
def live_process():
    process = subprocess.Popen(["sleep", "60"])
    yield process.pid
    process.kill()
    process.wait()


def test_a_second_retrain_is_refused_while_one_runs(demo_tweets, live_process):
    hold_lock(host=socket.gethostname(), pid=live_process)

    with pytest.raises(CommandError, match=f"another retrain is running .*pid {live_process}"):
        retrain()

    assert not ModelVersion.objects.exists()
    refused = TrainingRun.objects.get()
    assert refused.status == "failed"
    assert refused.error.startswith("not started: another retrain is running")


def test_a_lock_from_a_dead_process_is_taken_over(demo_tweets):
    dead = subprocess.Popen(["true"])
    dead.wait()
    hold_lock(host=socket.gethostname(), pid=dead.pid)

    assert "is now active" in retrain()
    assert not JobLock.objects.exists()


def test_a_lock_whose_heartbeat_stopped_is_taken_over(demo_tweets):
    hold_lock(host="another-host", pid=1, heartbeat_age=600)

    assert "is now active" in retrain()


def test_a_live_lock_on_another_host_is_respected(demo_tweets):
    hold_lock(host="another-host", pid=1)

    with pytest.raises(CommandError, match="host another-host"):
        retrain()


def test_the_lock_is_released_after_success_and_after_failure(db, demo_tweets):
    retrain()
    assert not JobLock.objects.exists()

    TrainingRun.objects.all().delete()
    from sentiment.models import Tweet

    Tweet.objects.all().delete()
    with pytest.raises(CommandError):
        retrain()
    assert not JobLock.objects.exists()


def test_two_retrains_started_together_never_run_at_once(subprocess_env, demo_tweets_committed):
    first, second = (
        start_command(subprocess_env, "retrain"),
        start_command(subprocess_env, "retrain"),
    )
    results = [(*p.communicate(timeout=300), p.returncode) for p in (first, second)]

    codes = sorted(code for _, _, code in results)
    assert codes == [0, 1], results
    refused_err = next(err for _, err, code in results if code == 1)
    assert "another retrain is running" in refused_err
    assert ModelVersion.objects.count() == 1
    assert sorted(TrainingRun.objects.values_list("status", flat=True)) == [
        "failed",
        "succeeded",
    ]


def test_a_retrain_killed_midway_leaves_no_lock_and_the_next_one_works(
    subprocess_env, demo_tweets_committed
):
    victim = start_command(subprocess_env, "retrain")
    deadline = time.monotonic() + 60
    while not TrainingRun.objects.filter(status="running").exists():
        assert time.monotonic() < deadline, "the retrain never started"
        time.sleep(0.05)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    assert JobLock.objects.exists()  # what a crash leaves behind

    survivor = run_command(subprocess_env, "retrain")

    assert survivor.returncode == 0, survivor.stderr
    assert not JobLock.objects.exists()
    killed, finished = TrainingRun.objects.order_by("pk")
    assert killed.status == "failed"
    assert "interrupted" in killed.error
    assert finished.status == "succeeded"
