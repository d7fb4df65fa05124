"""One local Spark session (two cores) for the whole test session, and a second model."""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil

import pytest

from sentiment.ml.artifacts import save_artifacts
from sentiment.ml.train import fit_model
from tests.conftest import TrainedArtifacts, require


def java_available() -> bool:
    java_home = os.environ.get("JAVA_HOME")
    return bool(shutil.which("java") or (java_home and os.path.isfile(f"{java_home}/bin/java")))


@pytest.fixture(scope="session")
def spark():
    require(
        importlib.util.find_spec("pyspark") is not None,
        "pyspark is not installed (pip install -r requirements-spark.txt)",
    )
    require(java_available(), "Java is not installed (apt-get install openjdk-17-jre-headless)")
    from sentiment.spark.score import local_session

    session = local_session("local[2]", "socialmetrics-tests")
    yield session
    session.stop()
    # py4j logs its connections closing at interpreter exit, after pytest closed its streams.
    logging.getLogger("py4j").setLevel(logging.WARNING)


@pytest.fixture(scope="session")
def other_artifacts(tmp_path_factory, demo_rows) -> TrainedArtifacts:
    """A model that differs from the session's `trained_artifacts`: fitted on a third of the
    demo tweets, so that a test can tell which version scored."""
    rows = demo_rows[::3]
    fit = fit_model([t for t, _ in rows], [y for _, y in rows])
    directory = tmp_path_factory.mktemp("artifacts") / "other"
    checksums = save_artifacts(directory, fit.vectorizer, fit.classifier, {})
    counts: dict[str, int] = {}
    for _, label in rows:
        counts[label] = counts.get(label, 0) + 1
    return TrainedArtifacts(directory, checksums, {}, counts)
