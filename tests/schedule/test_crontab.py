"""The weekly retrain: CRONJOBS, and `crontab add/show/remove` against the real crontab."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from sentiment.models import ModelVersion, TrainingRun
from tests.conftest import require
from tests.servers import run_command


def test_retrain_runs_every_sunday_at_midnight_into_a_log():
    schedule, job, suffix = settings.CRONJOBS[0]

    assert schedule == "0 0 * * 0"
    assert job == "sentiment.cron.scheduled_retrain"
    assert suffix == f">> {settings.RETRAIN_LOG} 2>&1"
    assert str(settings.RETRAIN_LOG).startswith(str(settings.LOG_DIR))


@pytest.fixture
def crontab():
    """The real crontab of this user, restored as it was after the test."""
    require(shutil.which("crontab") is not None, "the `crontab` command (Debian package cron)")
    saved = subprocess.run(["crontab", "-l"], capture_output=True, text=True)
    yield
    if saved.returncode == 0:
        subprocess.run(["crontab", "-"], input=saved.stdout, text=True, check=True)
    else:
        subprocess.run(["crontab", "-r"], capture_output=True)


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return run_command(env, *args, check=True)


def our_lines() -> list[str]:
    listing = subprocess.run(["crontab", "-l"], capture_output=True, text=True).stdout
    return [line for line in listing.splitlines() if settings.CRONTAB_COMMENT in line]


def run_like_cron(line: str) -> None:
    """Run a crontab line's command the way cron does: /bin/sh, an almost empty environment."""
    command = re.match(r"^(\S+\s+){5}(.*)$", line).group(2).replace(r"\%", "%")
    subprocess.run(
        [
            "env",
            "-i",
            "HOME=/root",
            "LOGNAME=root",
            "PATH=/usr/bin:/bin",
            "SHELL=/bin/sh",
            "/bin/sh",
            "-c",
            command,
        ],
        cwd="/",
        timeout=600,
        check=True,
    )


def test_add_show_run_remove(crontab, subprocess_env, demo_tweets_committed, tmp_path):
    added = manage(subprocess_env, "crontab", "add")
    assert "adding cronjob" in added.stdout

    line, queue_line = our_lines()
    assert line.startswith("0 0 * * 0 ")
    assert queue_line.startswith("*/10 * * * * ")
    assert "crontab run" in line
    assert f"SENTIMENT_MODEL_DIR={subprocess_env['SENTIMENT_MODEL_DIR']}" in line

    shown = manage(subprocess_env, "crontab", "show")
    assert "sentiment.cron.scheduled_retrain" in shown.stdout
    assert re.search(r"\([0-9a-f]{32}\) -> ", shown.stdout)
    assert "DATABASE_URL" not in shown.stdout  # it may hold a password

    # cron's environment is almost empty: the line itself must point at our database and folder.
    run_like_cron(line)

    run = TrainingRun.objects.get()
    assert (run.trigger, run.status) == ("schedule", "succeeded")
    version = ModelVersion.objects.get(is_active=True)
    assert (settings.SENTIMENT_MODEL_DIR / version.directory).is_dir()
    log = (tmp_path / "log" / "retrain.log").read_text()
    assert "=== scheduled retrain at" in log
    assert f"Version {version.pk} is now active" in log

    run_like_cron(queue_line)  # never refreshed yet: the queue's order is computed
    log = (tmp_path / "log" / "queue.log").read_text()
    assert f"{demo_tweets_committed:,} labels" in log
    assert Path(subprocess_env["SENTIMENT_MODEL_DIR"], "queue-refresh.json").is_file()

    removed = manage(subprocess_env, "crontab", "remove")
    assert "removing cronjob" in removed.stdout
    assert our_lines() == []


def test_a_failed_scheduled_retrain_is_logged_and_recorded(crontab, subprocess_env, tmp_path):
    manage(subprocess_env, "crontab", "add")
    line, _ = our_lines()

    run_like_cron(line)  # there is nothing annotated to train on

    log = (tmp_path / "log" / "retrain.log").read_text()
    assert "retrain failed: no annotated tweets" in log
    assert "Traceback" not in log
    run = TrainingRun.objects.get()
    assert (run.trigger, run.status) == ("schedule", "failed")
    assert "no annotated tweets" in run.error
    manage(subprocess_env, "crontab", "remove")


def test_adding_twice_keeps_one_line_and_other_jobs_survive(crontab, subprocess_env):
    subprocess.run(
        ["crontab", "-"], input="5 4 * * * /bin/true # someone else's job\n", text=True, check=True
    )

    manage(subprocess_env, "crontab", "add")
    manage(subprocess_env, "crontab", "remove")
    manage(subprocess_env, "crontab", "add")

    listing = subprocess.run(["crontab", "-l"], capture_output=True, text=True).stdout
    assert len(our_lines()) == len(settings.CRONJOBS)  # one line per job, not two
    assert "someone else's job" in listing
    manage(subprocess_env, "crontab", "remove")
    assert (
        "someone else's job"
        in subprocess.run(["crontab", "-l"], capture_output=True, text=True).stdout
    )
