"""Scoring a tweet file: every row's score, label, probabilities and model version.

The same validation as import (services/tweets.py): a file with invalid rows gives no output
unless `skip_invalid`. The file is read twice, streaming: once to validate and count its rows,
once to score them in batches on several processes (ml/scorepool.py). Memory stays that of a
few batches whatever the size, and the output appears complete or not at all. Scores are
computed by the same code as /api/predict's, so they are identical for the same version.
Used by `manage.py score_tweets` and by scoring jobs (services/jobs.py).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from sentiment.ml.scorepool import ScoringPool
from sentiment.models import ModelVersion
from sentiment.services import versions
from sentiment.services.progress import SILENT, Progress
from sentiment.tweetfiles import (
    Rejection,
    Row,
    atomic_output,
    detect_format,
    format_scored,
    read_tweets,
    scored_header,
)

BATCH = 2000
NO_MODEL = "no model is active: train one first (`python manage.py retrain`)"


class ScoringError(Exception):
    """The file cannot be scored; the message is one line saying why."""


@dataclass
class ScoreReport:
    rows: int = 0
    scored: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    version: int | None = None


class ScoreRejected(ScoringError):
    """The file has invalid rows and `skip_invalid` was not given: no output was written."""

    def __init__(self, report: ScoreReport) -> None:
        self.report = report
        super().__init__(
            f"{len(report.rejected)} invalid row(s); nothing was scored "
            "(fix them, or score the valid rows with --skip-invalid)"
        )


def score_file(
    source: Path,
    target: Path,
    *,
    skip_invalid: bool = False,
    processes: int | None = None,
    progress: Progress = SILENT,
) -> ScoreReport:
    """Score every valid row of `source` into `target` with the active version.

    Raises TweetFileError (unreadable file, unknown format), ScoreRejected (invalid rows) or
    ScoringError (no model, files that fail their checksum).
    """
    source, target = Path(source), Path(target)
    detect_format(source.name)
    detect_format(target.name)
    version = ModelVersion.objects.active()
    if version is None:
        raise ScoringError(NO_MODEL)
    report = ScoreReport(version=version.pk)

    progress.stage("validating", source.name)
    with open(source, "rb") as stream:
        for item in read_tweets(stream, source.name):
            report.rows += 1
            if isinstance(item, Rejection):
                report.rejected.append(item)
            elif report.rows % 100_000 == 0:
                progress.rows(report.rows)
    if report.rejected and not skip_invalid:
        raise ScoreRejected(report)
    total = report.rows - len(report.rejected)

    progress.stage("scoring", f"{total:,} tweets with version {version.pk}")
    progress.rows(0, total)
    processes = processes or settings.JOBS_SCORING_PROCESSES
    with (
        ScoringPool(versions.version_path(version), versions.checksums(version), processes) as pool,
        open(source, "rb") as stream,
        atomic_output(target) as (out, fmt),
    ):
        out.write(scored_header(fmt.kind))
        render = functools.partial(format_scored, fmt.kind, version.pk)
        for rows, text in pool.score(_batches(read_tweets(stream, source.name)), render):
            out.write(text)
            report.scored += rows
            progress.rows(report.scored, total)
    return report


def _batches(items: Iterator[Row | Rejection]) -> Iterator[list[str]]:
    batch: list[str] = []
    for item in items:
        if isinstance(item, Row):
            batch.append(item.text)
            if len(batch) == BATCH:
                yield batch
                batch = []
    if batch:
        yield batch
