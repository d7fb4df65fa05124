"""The database goes away: predict goes on answering, retrain fails cleanly and says so."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from sentiment.models import Activation, JobLock, ModelVersion, TrainingRun
from tests.conftest import install_version, retrain, using_mysql
from tests.servers import get, gunicorn, post_json, run_command, start_command

TWEETS = {"tweets": ["best concert of my life", "the train is late again"]}


def wait_for(condition, *, timeout: float = 60, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def activate(direct_url: str, env: dict[str, str], version: int) -> None:
    result = run_command({**env, "DATABASE_URL": direct_url}, "activate_model", str(version))
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_predict_goes_on_answering_while_the_database_is_away(
    subprocess_env, trained_artifacts, isolated_model_dir, away_database, tmp_path
):
    first = install_version(trained_artifacts, isolated_model_dir)
    second = install_version(trained_artifacts, isolated_model_dir, activate=False)
    database = away_database()
    env = {**subprocess_env, "DATABASE_URL": database.url, "SENTIMENT_RELOAD_SECONDS": "0.3"}

    with gunicorn(env, tmp_path / "gunicorn.log", workers=2) as server:
        predict = server.url + "/api/predict"
        # Each worker loads the model once it has booted: a worker that started while the
        # database was away could not know which version to load.
        wait_for(
            lambda: server.log_text().count(f"serving model version {first.pk}") == 2,
            what="both workers to load the model",
        )
        database.cut()
        time.sleep(1.5)  # several reload checks meet the missing database

        during = [post_json(predict, TWEETS) for _ in range(20)]
        health = get(server.url + "/api/health")
        model = get(server.url + "/api/model")

        database.restore()
        activate(database.direct_url, subprocess_env, second.pk)
        # Both workers, as at the start: one answering with the new version says nothing of
        # the other, whose next reload check may still be due.
        wait_for(
            lambda: server.log_text().count(f"serving model version {second.pk}") == 2,
            timeout=15,
            what="both workers to switch to the version activated once the database was back",
        )
        after = [post_json(predict, TWEETS) for _ in range(10)]
        log = server.log_text()

    assert {status for status, _, _ in during} == {200}, [b for s, _, b in during if s != 200][:2]
    assert {headers["X-Model-Version"] for _, headers, _ in during} == {str(first.pk)}
    assert list(json.loads(during[0][2])) == TWEETS["tweets"]
    assert (health[0], json.loads(health[2])["model_version"]) == (200, first.pk)
    assert model[0] == 503
    assert json.loads(model[2])["error"] == "database_unavailable"
    assert {headers["X-Model-Version"] for _, headers, _ in after} == {str(second.pk)}
    assert "model check skipped, database unavailable" in log
    assert "Traceback" not in log


@pytest.mark.slow
@pytest.mark.mysql
def test_a_retrain_that_loses_the_database_activates_nothing_and_records_its_failure(
    subprocess_env, demo_tweets_committed, trained_artifacts, isolated_model_dir, away_database
):
    if not using_mysql():
        pytest.skip(
            "MySQL/MariaDB only: an SQLite connection that is already open cannot lose its file"
        )
    champion = install_version(trained_artifacts, isolated_model_dir)
    database = away_database()
    cut_off = start_command({**subprocess_env, "DATABASE_URL": database.url}, "retrain")
    try:
        # train_size is written just before fitting: the run is midway.
        wait_for(
            lambda: TrainingRun.objects.filter(train_size__isnull=False).exists(),
            what="the retrain to start fitting",
        )
        cut_off.send_signal(signal.SIGSTOP)  # the cut lands before its next query, however fast
        database.cut()
        cut_off.send_signal(signal.SIGCONT)
        wait_for(lambda: database.proxy.refused > 0, what="the retrain to try to reconnect")
        database.restore()
        _, stderr = cut_off.communicate(timeout=120)
    finally:
        if cut_off.poll() is None:
            cut_off.kill()

    run = TrainingRun.objects.get()
    assert cut_off.returncode == 1
    assert stderr.startswith("CommandError: retrain failed: the database is unreachable")
    assert "Traceback" not in stderr
    assert list(ModelVersion.objects.values_list("pk", flat=True)) == [champion.pk]
    assert ModelVersion.objects.get(is_active=True) == champion
    assert Activation.objects.count() == 1
    assert run.status == "failed"
    assert "the database is unreachable" in run.error
    assert not JobLock.objects.exists()
    assert sorted(os.listdir(isolated_model_dir)) == [champion.directory]

    assert "is now active" in retrain()
