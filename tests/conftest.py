"""Shared fixtures: an isolated model folder per test, the demo tweets, a trained model."""

from __future__ import annotations

import csv
import os
import shutil
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest

from sentiment.ml.artifacts import Checksums, save_artifacts
from sentiment.ml.data import evaluation_mask, text_hash
from sentiment.ml.evaluate import evaluate
from sentiment.ml.predictor import Predictor
from sentiment.ml.train import fit_model

ROOT = Path(__file__).resolve().parent.parent
DEMO_FILE = ROOT / "sentiment" / "demo" / "demo_tweets.csv"
# In CI a missing tool (crontab, Chromium, MySQL) fails the run instead of skipping tests.
IN_CI = os.environ.get("SOCIALMETRICS_CI") == "1"


def require(condition: bool, reason: str) -> None:
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI must be able to run this test: {reason}")
    pytest.skip(reason)


def using_mysql() -> bool:
    from django.db import connection

    return connection.vendor == "mysql"


def database_url_for_subprocess() -> str:
    """A DATABASE_URL that points a subprocess (server, cron job) at the test database."""
    from urllib.parse import quote

    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = quote(db["USER"] or "", safe="")
    password = quote(db["PASSWORD"] or "", safe="")
    return (
        f"mysql://{user}:{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 3306}/{db['NAME']}"
    )


@pytest.fixture
def subprocess_env(transactional_db, isolated_model_dir, tmp_path) -> dict[str, str]:
    """Environment for a command or server started by a test: same database and model folder.

    Uses a transactional database, so that what the test writes is visible to the subprocess.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        in {
            "PATH",
            "HOME",
            "LANG",
            "DJANGO_SECRET_KEY",
            "SOCIALMETRICS_CI",
            "SOCIALMETRICS_ENV_FILE",
            "API_THROTTLE_ANON",
            "API_THROTTLE_USER",
        }
    }
    env.update(
        DATABASE_URL=database_url_for_subprocess(),
        SENTIMENT_MODEL_DIR=str(isolated_model_dir),
        JOBS_DIR=str(tmp_path / "jobs"),
        SENTIMENT_LOG_DIR=str(tmp_path / "log"),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
    )
    return env


@pytest.fixture(autouse=True)
def isolated_jobs_dir(settings, tmp_path):
    """Each test gets its own jobs folder (uploads, results, the filesystem broker's queue)."""
    settings.JOBS_DIR = tmp_path / "jobs"
    broker = str(settings.JOBS_DIR / "broker")
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": broker, "data_folder_out": broker}
    return settings.JOBS_DIR


@pytest.fixture(autouse=True)
def isolated_model_dir(settings, tmp_path):
    """Each test gets its own model folder and an empty in-process model cache."""
    from sentiment.services.registry import registry

    settings.SENTIMENT_MODEL_DIR = tmp_path / "models"
    registry.reset()
    yield settings.SENTIMENT_MODEL_DIR
    registry.reset()


@pytest.fixture(scope="session")
def demo_rows() -> list[tuple[str, str]]:
    with open(DEMO_FILE, encoding="utf-8", newline="") as fh:
        return [(row["text"], row["label"]) for row in csv.DictReader(fh)]


def retrain(*args: str) -> str:
    """`manage.py retrain` with `args`, run in this process; what it printed."""
    from django.core.management import call_command

    out = StringIO()
    call_command("retrain", *args, stdout=out)
    return out.getvalue()


def store_demo(rows: list[tuple[str, str]]) -> int:
    """The demo set in the tweets table, as `import_tweets` would store it."""
    from sentiment.models import Tweet
    from tests.factories import TweetFactory

    Tweet.objects.bulk_create(
        TweetFactory.build(text=text, label=label, source="demo") for text, label in rows
    )
    return len(rows)


@pytest.fixture
def demo_tweets(db, demo_rows):
    return store_demo(demo_rows)


@pytest.fixture
def demo_tweets_committed(transactional_db, demo_rows):
    """The demo set, committed so that a server or command in a subprocess sees it."""
    return store_demo(demo_rows)


@dataclass(frozen=True)
class TrainedArtifacts:
    directory: Path
    checksums: Checksums
    metrics: dict
    train_counts: dict


@pytest.fixture(scope="session")
def trained_artifacts(tmp_path_factory, demo_rows) -> TrainedArtifacts:
    """A model fitted once per session on the demo set's training split."""
    texts = [text for text, _ in demo_rows]
    labels = [label for _, label in demo_rows]
    held = evaluation_mask([text_hash(t) for t in texts], labels, 0.2)
    train = [i for i in range(len(texts)) if not held[i]]
    fit = fit_model([texts[i] for i in train], [labels[i] for i in train])
    predictor = Predictor(fit.vectorizer, fit.classifier)
    evaluation = [i for i in range(len(texts)) if held[i]]
    metrics = evaluate(
        [labels[i] for i in evaluation],
        predictor.predict_proba([texts[i] for i in evaluation]),
        predictor.classes,
    )
    directory = tmp_path_factory.mktemp("artifacts") / "demo"
    checksums = save_artifacts(directory, fit.vectorizer, fit.classifier, {})
    counts: dict[str, int] = {}
    for i in train:
        counts[labels[i]] = counts.get(labels[i], 0) + 1
    return TrainedArtifacts(directory, checksums, metrics, counts)


def install_version(artifacts: TrainedArtifacts, model_dir: Path, *, activate: bool = True):
    """Register a copy of trained files as a new model version, as `retrain` would."""
    import sklearn

    from sentiment.models import ModelVersion
    from sentiment.services import versions

    version = ModelVersion.objects.create(
        sklearn_version=sklearn.__version__,
        status=ModelVersion.Status.READY,
        label_counts=artifacts.train_counts,
        metrics=artifacts.metrics,
        model_sha256=artifacts.checksums.model_sha256,
        vectorizer_sha256=artifacts.checksums.vectorizer_sha256,
    )
    version.directory = f"v{version.pk:04d}"
    version.save()
    shutil.copytree(artifacts.directory, model_dir / version.directory)
    if activate:
        versions.activate(version.pk, reason="test fixture")
        version.refresh_from_db()
    return version


@pytest.fixture
def active_model(db, trained_artifacts, isolated_model_dir):
    """An active model version trained on the demo set."""
    return install_version(trained_artifacts, isolated_model_dir)


PASSWORD = "pw-for-tests-123"


@pytest.fixture
def make_member(db, django_user_model):
    """make_member("annotators", "ann") -> a staff user in that role's group (sentiment/roles.py).

    The groups are (re)applied first: a transactional test's flush removes what the data
    migration created.
    """
    from django.contrib.auth.models import Group, Permission

    from sentiment.roles import apply_roles

    apply_roles(Group, Permission)

    def make(role: str, username: str):
        user = django_user_model.objects.create_user(username, password=PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        return django_user_model.objects.get(pk=user.pk)  # fresh permission cache

    return make
