"""Score a Parquet, CSV or JSON dataset's text column on Spark with a model version.

    python -m sentiment.spark.score INPUT OUTPUT [--version N | --manifest FILE]
        [--text-column text] [--format parquet|csv|json] [--output-format ...]
        [--ship] [--model-root URI] [--master local[*]] [--mode errorifexists|overwrite]

or from PySpark: ``score_dataframe(df, resolve_version())``. docs/spark.md has the cluster
set-ups (spark-submit, shared folder or shipped files, what executors need).

The driver resolves the version once, through Django from the database (the active version,
or ``--version N``) or from a manifest file, into a ``ModelRef``: the version, the folder of
its files and their recorded SHA-256. Only that reference travels to the executors, which
need neither Django nor the database: each Python worker loads the files through
``sentiment.ml.artifacts.load_artifacts`` (nothing is unpickled before both checksums
match), keeps the predictor for its next tasks, and scores whole Arrow batches through
``mapInPandas`` with the product's ``Predictor``, so the numbers are the API's.

Output: the input's columns plus ``score`` (P(positive) - P(negative), 4 decimals, as
/api/predict), ``label``, ``p_negative``, ``p_neutral``, ``p_positive`` (4 decimals, as the
API's detail) and ``model_version``; columns of those names already in the input are
replaced (re-scoring a scored dataset with a newer version). A null text (in CSV, an empty
field) gets null results.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import numpy as np

from sentiment.ml.artifacts import ArtifactError, Checksums, load_artifacts, verify_artifacts
from sentiment.ml.evaluate import LABEL_ORDER
from sentiment.ml.predictor import SCORE_DECIMALS, Predictor

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import DataFrame, SparkSession

ROOT = Path(__file__).resolve().parent.parent.parent
FORMATS = ("parquet", "csv", "json")
OUTPUT_COLUMNS = ("score", "label", "p_negative", "p_neutral", "p_positive", "model_version")


class ScoringError(Exception):
    """A job that cannot run; the message says why in one line."""


@dataclass(frozen=True)
class ModelRef:
    """What an executor needs to load a version: where its files are and their checksums.

    ``path`` is a folder every executor can read (a shared mount) or, when ``shipped``, a
    folder or URI that the driver handed to ``SparkContext.addFile`` and that each executor
    finds under its own name with ``SparkFiles.get``.
    """

    version: int
    path: str
    model_sha256: str
    vectorizer_sha256: str
    shipped: bool = False

    def checksums(self) -> Checksums:
        return Checksums(self.model_sha256, self.vectorizer_sha256)

    def manifest(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("shipped")
        return data

    @classmethod
    def from_manifest(cls, data: dict[str, Any]) -> ModelRef:
        try:
            return cls(
                version=int(data["version"]),
                path=str(data["path"]),
                model_sha256=str(data["model_sha256"]),
                vectorizer_sha256=str(data["vectorizer_sha256"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ScoringError(
                "a manifest is a JSON object with version, path, model_sha256 and "
                f"vectorizer_sha256 ({type(exc).__name__}: {exc})"
            ) from None


def resolve_version(version: int | None = None, *, model_root: str | None = None) -> ModelRef:
    """The active version (or version N) from the database, through Django, on the driver.

    ``model_root`` replaces SENTIMENT_MODEL_DIR in the path, for executors that see the model
    folder elsewhere (another mount point, or object storage: ``s3a://bucket/models``).
    """
    _setup_django()
    from django.db import DatabaseError

    from sentiment.models import ModelVersion
    from sentiment.services import versions

    try:
        if version is None:
            found = ModelVersion.objects.active()
            if found is None:
                raise ScoringError(
                    "no model version is active: run `python manage.py retrain` first"
                )
        else:
            found = ModelVersion.objects.filter(pk=version).first()
            if found is None:
                raise ScoringError(f"model version {version} does not exist")
    except DatabaseError as exc:
        raise ScoringError(f"the database cannot be reached: {exc}") from None
    if found.status == ModelVersion.Status.SAVING:
        raise ScoringError(f"model version {found.pk} is incomplete (its save did not finish)")
    path = (
        f"{model_root.rstrip('/')}/{found.directory}"
        if model_root
        else str(versions.version_path(found))
    )
    return ModelRef(found.pk, path, found.model_sha256, found.vectorizer_sha256)


def load_manifest(path: Path) -> ModelRef:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ScoringError(f"cannot read the manifest {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ScoringError(f"the manifest {path} is not a JSON object")
    return ModelRef.from_manifest(data)


def ship(spark: SparkSession, model: ModelRef) -> ModelRef:
    """Hand the version's folder to Spark, which copies it to every executor's work folder.

    The folder may be local to the driver or any file system Spark reads (``hdfs://``,
    ``s3a://`` with the Hadoop connector); the checksums still come from the database.
    """
    spark.sparkContext.addFile(model.path, recursive=True)
    return replace(model, shipped=True)


# On an executor: the predictor of the last version loaded by this Python worker. Spark reuses
# workers between tasks (spark.python.worker.reuse), so a version is loaded once per worker.
_loaded: dict[ModelRef, Predictor] = {}


def executor_predictor(model: ModelRef) -> Predictor:
    predictor = _loaded.get(model)
    if predictor is None:
        if model.shipped:
            from pyspark import SparkFiles

            directory = SparkFiles.get(PurePosixPath(model.path.rstrip("/")).name)
        else:
            directory = model.path
        vectorizer, classifier = load_artifacts(Path(directory), model.checksums())
        predictor = Predictor(vectorizer, classifier)
        _loaded.clear()  # one version per worker: a long-lived worker does not pile them up
        _loaded[model] = predictor
    return predictor


def score_batch(
    batch: pd.DataFrame, predictor: Predictor, version: int, text_column: str
) -> pd.DataFrame:
    """``batch`` with the output columns added, computed as the API computes them."""
    texts = batch[text_column]
    present = texts.notna().to_numpy()
    n = len(batch)
    score = np.full(n, np.nan)
    label = np.full(n, None, dtype=object)
    probabilities = np.full((n, len(LABEL_ORDER)), np.nan)
    if present.any():
        proba = predictor.predict_proba(texts[present].tolist())
        score[present] = predictor.scores_from_proba(proba)
        label[present] = np.asarray(predictor.classes, dtype=object)[proba.argmax(axis=1)]
        # A two-label model has no neutral column: its probability is 0, as in the API.
        columns = np.zeros((proba.shape[0], len(LABEL_ORDER)))
        for i, name in enumerate(LABEL_ORDER):
            if name in predictor.classes:
                columns[:, i] = proba[:, predictor.classes.index(name)]
        probabilities[present] = np.round(columns, SCORE_DECIMALS)
    out = batch.copy()
    out["score"] = score
    out["label"] = label
    for i, name in enumerate(LABEL_ORDER):
        out[f"p_{name}"] = probabilities[:, i]
    out["model_version"] = np.int32(version)
    return out


def _score_partition(
    batches: Iterator[pd.DataFrame], model: ModelRef, text_column: str
) -> Iterator[pd.DataFrame]:
    predictor = None
    for batch in batches:
        if predictor is None:  # an empty partition loads nothing
            predictor = executor_predictor(model)
        yield score_batch(batch, predictor, model.version, text_column)


def score_dataframe(df: DataFrame, model: ModelRef, *, text_column: str = "text") -> DataFrame:
    """``df`` with score, label, the three probabilities and the model version added."""
    from pyspark.sql.types import (
        DoubleType,
        IntegerType,
        StringType,
        StructField,
        StructType,
    )

    fields = {field.name: field for field in df.schema.fields}
    if text_column not in fields:
        raise ScoringError(
            f"the dataset has no column {text_column!r} (it has: {', '.join(fields) or 'none'}); "
            "name the text column with --text-column"
        )
    if not isinstance(fields[text_column].dataType, StringType):
        raise ScoringError(
            f"column {text_column!r} holds {fields[text_column].dataType.simpleString()}, not text"
        )
    if text_column in OUTPUT_COLUMNS:
        raise ScoringError(f"the text column cannot be named {text_column!r}, an output column")
    kept = df.drop(*[name for name in OUTPUT_COLUMNS if name in fields])
    schema = StructType(
        [
            *kept.schema.fields,
            StructField("score", DoubleType()),
            StructField("label", StringType()),
            *(StructField(f"p_{name}", DoubleType()) for name in LABEL_ORDER),
            StructField("model_version", IntegerType(), nullable=False),
        ]
    )
    work = functools.partial(_score_partition, model=model, text_column=text_column)
    return kept.mapInPandas(work, schema)


def read_dataset(spark: SparkSession, path: str, fmt: str) -> DataFrame:
    reader = spark.read.format(fmt)
    if fmt == "csv":
        # RFC 4180 as Python's csv module writes it: a header, quotes doubled, newlines quoted.
        reader = reader.options(header=True, multiLine=True, escape='"')
    return reader.load(path)


def write_dataset(df: DataFrame, path: str, fmt: str, mode: str) -> None:
    writer = df.write.mode(mode).format(fmt)
    if fmt == "csv":
        writer = writer.options(header=True, escape='"')
    writer.save(path)


def local_session(master: str = "local[*]", app_name: str = "socialmetrics-score") -> SparkSession:
    """A Spark session started from this Python, not spark-submit: local mode or a cluster
    whose executors have this project at the same path."""
    # Python workers run this interpreter and import `sentiment` from the project root.
    paths = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    # Read by PySpark when it starts the JVM (spark.pyspark.python is spark-submit's).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _setup_django() -> None:
    from django.conf import settings

    if settings.configured:
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialmetrics.settings")
    import django

    django.setup()


def _guess_format(path: str) -> str:
    suffixes = PurePosixPath(path.rstrip("/")).suffixes
    for suffix in reversed(suffixes):
        name = {".jsonl": "json", ".ndjson": "json", ".gz": None}.get(suffix, suffix[1:])
        if name in FORMATS:
            return name
    return "parquet"


def _verify_here(model: ModelRef) -> None:
    """Fail before starting the job when the driver can see the files and they are wrong;
    the executors check again, whatever the driver sees."""
    if "://" not in model.path and Path(model.path).is_dir():
        verify_artifacts(Path(model.path), model.checksums())


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    # An executor's ArtifactError comes back inside Spark's report of the failed task.
    found = re.search(r"ArtifactError: (.+)", text)
    if found:
        return found.group(1).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sentiment.spark.score",
        description="Score a dataset's text column on Spark with a model version of the product.",
    )
    parser.add_argument("input", help="Parquet, CSV (with a header) or JSON Lines: file or folder")
    parser.add_argument("output", help="folder to write the scored dataset to")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--version", type=int, help="model version N (default: the active one)")
    source.add_argument("--manifest", type=Path, help="version, path and checksums as JSON")
    parser.add_argument("--text-column", default="text")
    parser.add_argument("--format", choices=FORMATS, help="input format (default: from the name)")
    parser.add_argument("--output-format", choices=FORMATS, help="default: the input's")
    parser.add_argument("--mode", choices=("errorifexists", "overwrite"), default="errorifexists")
    parser.add_argument(
        "--ship", action="store_true", help="copy the model folder to the executors (addFile)"
    )
    parser.add_argument("--model-root", help="the model folder as the executors see it")
    parser.add_argument(
        "--master", default="local[*]", help="without spark-submit (default: local[*])"
    )
    parser.add_argument(
        "--print-manifest", action="store_true", help="print the resolved version and exit"
    )
    args = parser.parse_args(argv)
    try:
        if args.manifest:
            model = load_manifest(args.manifest)
        else:
            model = resolve_version(args.version, model_root=args.model_root)
        if args.print_manifest:
            print(json.dumps(model.manifest(), indent=2))
            return 0
        _verify_here(model)
        fmt = args.format or _guess_format(args.input)
        _run(args, model, fmt)
    except (ScoringError, ArtifactError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # Spark's own errors (a missing input, a failed task): one line
        if type(exc).__module__.split(".")[0] not in {"pyspark", "py4j"}:
            raise
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 1
    print(f"scored {args.input} with model version {model.version} into {args.output}")
    return 0


def _run(args: argparse.Namespace, model: ModelRef, fmt: str) -> None:
    from pyspark.sql import SparkSession

    # Under spark-submit (or inside a PySpark program) the session exists already.
    spark = SparkSession.getActiveSession()
    created = spark is None
    if spark is None:
        spark = local_session(args.master)
    try:
        if args.ship:
            model = ship(spark, model)
        scored = score_dataframe(
            read_dataset(spark, args.input, fmt), model, text_column=args.text_column
        )
        write_dataset(scored, args.output, args.output_format or fmt, args.mode)
    finally:
        if created:
            spark.stop()


if __name__ == "__main__":
    # Through the package, even when run as a file (spark-submit sentiment/spark/score.py):
    # the executors then import this module's functions instead of receiving copies of them
    # with every task, and a worker's loaded model survives from one task to the next.
    from sentiment.spark.score import main as package_main

    sys.exit(package_main())
