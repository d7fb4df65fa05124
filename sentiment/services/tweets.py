"""Tweets in and out of the database: import and export (labels: services/annotation.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from sentiment.ml.data import text_hash
from sentiment.models import Tweet, db_column
from sentiment.tweetfiles import Rejection, read_tweets, write_tweets

IMPORT_BATCH = 5000
EXPORT_CHUNK = 5000


@dataclass
class ImportReport:
    imported: int = 0
    labelled: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    committed: bool = False

    @property
    def rows(self) -> int:
        return self.imported + self.duplicates + len(self.rejected)


class ImportRejected(Exception):
    """The file has invalid rows and --skip-invalid was not given: nothing was imported."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        super().__init__(
            f"{len(report.rejected)} invalid row(s); nothing was imported "
            "(fix them, or import the valid rows with --skip-invalid)"
        )


class _Rollback(Exception):
    pass


def import_tweets(
    stream: BinaryIO,
    name: str,
    *,
    source: str | None = None,
    skip_invalid: bool = False,
    annotator: User | None = None,
) -> ImportReport:
    """Import every row of a tweet file in one transaction.

    A file with invalid rows imports nothing unless `skip_invalid`, and an interrupted import
    leaves nothing behind. A text already stored (or seen earlier in the file) counts as a
    duplicate and is left as it is. Duplicates are found by hash, one query per batch.
    Raises TweetFileError for an unreadable file and ImportRejected for invalid rows.
    """
    report = ImportReport()
    default_source = source if source is not None else Path(name).name
    created = timezone.now()
    annotator_id = getattr(annotator, "pk", None)
    seen: set[str] = set()
    batch: list[tuple[str, str, str, str]] = []

    def flush() -> None:
        hashes = [row[1] for row in batch]
        stored = set(Tweet.objects.filter(text_hash__in=hashes).values_list("text_hash", flat=True))
        new = [row for row in batch if row[1] not in stored]
        _insert(new, created, annotator_id)
        report.imported += len(new)
        report.labelled += sum(1 for row in new if row[2])
        report.duplicates += len(stored)
        batch.clear()

    try:
        with transaction.atomic():
            for item in read_tweets(stream, name):
                if isinstance(item, Rejection):
                    report.rejected.append(item)
                    continue
                digest = text_hash(item.text)
                if digest in seen:
                    report.duplicates += 1
                    continue
                seen.add(digest)
                if report.rejected and not skip_invalid:
                    continue  # keep reading only to report every invalid row
                row_source = item.source if item.source is not None else default_source
                batch.append((item.text, digest, item.label, row_source[:200]))
                if len(batch) >= IMPORT_BATCH:
                    flush()
            if report.rejected and not skip_invalid:
                raise _Rollback
            if batch:
                flush()
    except _Rollback:
        report.imported = report.labelled = 0
        raise ImportRejected(report) from None
    report.committed = True
    return report


def _insert(rows: list[tuple[str, str, str, str]], created, annotator_id: int | None) -> None:
    """INSERT (text, hash, label, source) rows with the driver's executemany.

    Django's bulk_create spends most of a large import preparing each value of each model
    instance; executemany sends the same multi-row INSERTs in a fraction of the time. Every
    other column gets its model default, prepared once.
    """
    if not rows:
        return
    ops = connection.ops
    created_db = ops.adapt_datetimefield_value(created)
    given = ("text", "text_hash", "label", "source", "created_at", "annotated_at", "annotated_by")
    others = [
        field
        for field in Tweet._meta.concrete_fields
        if not field.primary_key and field.name not in given
    ]
    defaults = tuple(field.get_db_prep_save(field.get_default(), connection) for field in others)
    columns = [db_column(Tweet, name) for name in given] + [
        db_column(Tweet, f.name) for f in others
    ]
    table = ops.quote_name(Tweet._meta.db_table)
    names = ", ".join(ops.quote_name(column) for column in columns)
    placeholders = ", ".join(["%s"] * len(columns))
    # Only names from the model and placeholders go into the SQL; values are parameters.
    sql = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"  # noqa: S608
    params = [
        (
            text,
            digest,
            label,
            source,
            created_db,
            created_db if label else None,
            annotator_id if label else None,
            *defaults,
        )
        for text, digest, label, source in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def iter_values(queryset, fields: tuple[str, ...], *, chunk: int = EXPORT_CHUNK) -> Iterator[tuple]:
    """(pk, *fields) for every row of `queryset` in id order, read `chunk` rows at a time.

    Keyset pagination on the primary key keeps memory flat on any table size (MySQL's client
    would otherwise buffer a whole result set) and every query cheap (no OFFSET).
    """
    queryset = queryset.order_by("pk")
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).values_list("pk", *fields)[:chunk])
        if not rows:
            return
        yield from rows
        last = rows[-1][0]


def iter_tweets(*, labelled_only: bool = False) -> Iterator[tuple]:
    """(text, label, source) of every tweet, or of the annotated ones."""
    queryset = Tweet.objects.labelled() if labelled_only else Tweet.objects.all()
    for _pk, text, label, source in iter_values(queryset, ("text", "label", "source")):
        yield text, label, source


def export_tweets(path: Path, *, labelled_only: bool = False) -> int:
    """Write tweets to `path` (format from its name); returns the number written."""
    return write_tweets(path, iter_tweets(labelled_only=labelled_only))
