"""Stored predictions: the active model's score and uncertainty for every unlabelled tweet.

Refreshed in bulk after each activation, so that the admin's list and the annotation queue
sort by them without calling the model on each page: the unlabelled tweets are read in chunks
(keyset pagination), each chunk is scored in one call, and its scores are written back with
one UPDATE statement joined to a temporary table on MySQL/MariaDB (one UPDATE per row there
costs a round trip each), with `executemany` elsewhere.
"""

from __future__ import annotations

from django.db import connection, transaction

from sentiment.ml import sampling
from sentiment.ml.predictor import Predictor
from sentiment.models import ModelVersion, Tweet, db_column
from sentiment.services import versions
from sentiment.services.progress import SILENT, Progress
from sentiment.services.tweets import iter_values

# Tweets read, scored and written per step: few statements, and memory stays flat.
CHUNK = 50_000


def refresh_predictions(
    version: ModelVersion,
    predictor: Predictor | None = None,
    *,
    progress: Progress = SILENT,
) -> int:
    """Score every unlabelled tweet with `version`; returns how many were scored.

    Each chunk is written in its own transaction and records the version that scored it, so
    an interrupted run leaves every tweet with a consistent (score, version) pair, and running
    it again completes it.
    """
    predictor = predictor or versions.load_predictor(version)
    total = Tweet.objects.unlabelled().count()
    progress.stage("rescoring", f"{total:,} unlabelled tweets")
    progress.rows(0, total)
    done = 0
    pending: list[tuple[int, str]] = []
    for pk, text in iter_values(Tweet.objects.unlabelled(), ("text",), chunk=CHUNK):
        pending.append((pk, text))
        if len(pending) == CHUNK:
            done += _score(pending, predictor, version.pk)
            pending.clear()
            progress.rows(done, total)
    if pending:
        done += _score(pending, predictor, version.pk)
    progress.rows(done, max(done, total))
    if connection.vendor == "mysql" and done and not connection.in_atomic_block:
        # Rewriting the score indexes of many rows can leave InnoDB with statistics that
        # make the optimizer scan a whole index for the admin's source filter (a second on
        # a million tweets) instead of jumping between its few values; refresh them (~0.05 s).
        # ANALYZE TABLE commits implicitly: never inside a caller's transaction.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE TABLE {connection.ops.quote_name(Tweet._meta.db_table)}")
            cursor.fetchall()
    return done


def _score(rows: list[tuple[int, str]], predictor: Predictor, version: int) -> int:
    proba = predictor.predict_proba([text for _, text in rows])
    scores = predictor.scores_from_proba(proba)
    # The measure the annotation queue sorts by (and bench/active_learning.py simulates).
    uncertainty = sampling.uncertainty(proba)
    values = [
        (pk, float(s), float(u), version)
        for (pk, _), s, u in zip(rows, scores, uncertainty, strict=True)
    ]
    with transaction.atomic():
        store_scores(values)
    return len(values)


SCORE_FIELDS = ("predicted_score", "uncertainty", "scored_by_version")
SCRATCH_TABLE = "tweet_scores_scratch"


def store_scores(values: list[tuple[int, float, float, int]]) -> None:
    """Write (pk, predicted_score, uncertainty, scored_by_version) rows to their tweets."""
    if not values:
        return
    # Every identifier below comes from the model's metadata or a constant, never from input.
    quote = connection.ops.quote_name
    meta = Tweet._meta
    table, pk = quote(meta.db_table), quote(db_column(Tweet, "id"))
    columns = [quote(db_column(Tweet, name)) for name in SCORE_FIELDS]
    with connection.cursor() as cursor:
        if connection.vendor != "mysql":
            assignments = ", ".join(f"{column} = %s" for column in columns)
            update = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608
            cursor.executemany(update, [(*row[1:], row[0]) for row in values])
            return
        # mysqlclient sends an INSERT's executemany as multi-row statements; the UPDATE then
        # joins on the primary key. A temporary table is private to this connection.
        scratch = quote(SCRATCH_TABLE)
        names = ", ".join(quote(name) for name in SCORE_FIELDS)
        insert = f"INSERT INTO {scratch} (id, {names}) VALUES (%s, %s, %s, %s)"  # noqa: S608
        assignments = ", ".join(
            f"t.{column} = s.{quote(name)}"
            for column, name in zip(columns, SCORE_FIELDS, strict=True)
        )
        update = f"UPDATE {table} t JOIN {scratch} s ON t.{pk} = s.id SET {assignments}"  # noqa: S608
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {scratch} (id BIGINT PRIMARY KEY, "
            "predicted_score DOUBLE, uncertainty DOUBLE, scored_by_version INT UNSIGNED)"
        )
        cursor.execute(f"DELETE FROM {scratch}")  # noqa: S608
        cursor.executemany(insert, values)
        cursor.execute(update)
        cursor.execute(f"DELETE FROM {scratch}")  # noqa: S608
