"""Retraining: read the annotations, fit, evaluate, pass the quality gate, refit, save, activate.

Every run is recorded (TrainingRun), one run at a time (the model lock, shared with activation:
see versions.activate_and_rescore), and nothing is activated unless the new model (the
challenger) scores at least as well as the serving one (the champion) on the same held-out
tweets, within SENTIMENT_GATE_TOLERANCE.

The model that is evaluated never sees the held-out tweets. Once evaluated, the same recipe is
fitted again on every annotated tweet (up to SENTIMENT_REFIT_MAX_TWEETS), and that refit is
what the version serves: a fifth more to learn from, which pays most on the small sets
annotators build (docs/accuracy.md). The evaluated pair stays in the version's `evaluation`
folder, so that later gates compare challengers with the champion as it was evaluated, never
with a model that has seen the tweets it is scored on.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import sklearn
from django.conf import settings
from django.contrib.auth.models import User
from django.db import DatabaseError
from django.utils import timezone

from sentiment.ml.artifacts import EVALUATION_FOLDER, ArtifactError, save_artifacts
from sentiment.ml.data import evaluation_mask
from sentiment.ml.evaluate import (
    evaluate,
    format_confusion_matrix,
    format_report,
    ordered_labels,
)
from sentiment.ml.predictor import Predictor
from sentiment.ml.train import FitResult, fit_model
from sentiment.models import ModelVersion, TrainingRun, Tweet
from sentiment.services import drift, locks, versions
from sentiment.services.locks import LockHeld
from sentiment.services.progress import SILENT, Progress
from sentiment.services.tweets import iter_values

log = logging.getLogger(__name__)

LOCK_NAME = versions.MODEL_LOCK
READ_CHUNK = 50_000

Report = Callable[[str], None]


class RetrainError(Exception):
    """Retraining could not run or failed; the message is one line saying why."""


@dataclass
class Dataset:
    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)

    def subset(self, index: np.ndarray) -> tuple[list[str], list[str]]:
        return [self.texts[i] for i in index], [self.labels[i] for i in index]


@dataclass
class Decision:
    passed: bool
    message: str


@dataclass
class RetrainResult:
    """What a run decided; a retrain job keeps it to show the matrix and the gate's decision."""

    status: str  # a TrainingRun.Status value, or "dry-run"
    message: str
    metrics: dict
    champion_metrics: dict | None = None
    version: ModelVersion | None = None
    run: TrainingRun | None = None


def retrain(
    *,
    trigger: str = TrainingRun.Trigger.MANUAL,
    force: bool = False,
    dry_run: bool = False,
    user: User | None = None,
    report: Report = lambda line: None,
    progress: Progress = SILENT,
) -> RetrainResult:
    """Run one retrain; raises RetrainError with a one-line reason when it cannot."""
    if dry_run:
        try:
            return _train(report, progress, force=force, dry_run=True)
        except DatabaseError as exc:
            raise RetrainError(_describe(exc)) from None
    who = user.get_username() if user is not None else ""
    try:
        held = locks.acquire(LOCK_NAME, held_by=f"{trigger} retrain by {who}" if who else "")
    except LockHeld as exc:
        _record_refusal(trigger, str(exc))
        raise RetrainError(f"{exc}; try again when it has finished") from None
    except DatabaseError as exc:
        raise RetrainError(_describe(exc)) from None
    try:
        _fail_interrupted_runs()
        run = TrainingRun.objects.create(
            trigger=trigger,
            host=socket.gethostname(),
            pid=os.getpid(),
            started_by=user if getattr(user, "pk", None) else None,
        )
        try:
            return _train(report, progress, force=force, dry_run=False, run=run, user=user)
        except BaseException as exc:
            reason = str(exc) if isinstance(exc, RetrainError) else _describe(exc)
            _finish_failed(run, reason)
            if isinstance(exc, RetrainError) or not isinstance(exc, Exception):
                raise
            raise RetrainError(reason) from exc
    except DatabaseError as exc:
        raise RetrainError(_describe(exc)) from None
    finally:
        locks.release(held)


def _train(
    report: Report,
    progress: Progress,
    *,
    force: bool,
    dry_run: bool,
    run: TrainingRun | None = None,
    user: User | None = None,
) -> RetrainResult:
    progress.stage("reading", "the annotated tweets")
    data = _read_annotations(progress)
    counts = Counter(data.labels)
    data = _keep_trainable_labels(data, counts, report)
    counts = Counter(data.labels)
    report(
        f"Read {len(data.texts):,} annotated tweets: "
        + ", ".join(f"{label} {counts[label]:,}" for label in ordered_labels(counts))
    )

    held_out = evaluation_mask(data.hashes, data.labels, settings.SENTIMENT_EVAL_FRACTION)
    train_texts, train_labels = data.subset(np.flatnonzero(~held_out))
    eval_texts, eval_labels = data.subset(np.flatnonzero(held_out))
    report(
        f"Held out {len(eval_texts):,} tweets for evaluation (a fixed split by text hash), "
        f"training on {len(train_texts):,}"
    )
    if run is not None:
        run.label_counts = dict(counts)
        run.train_size, run.eval_size = len(train_texts), len(eval_texts)
        run.save(update_fields=["label_counts", "train_size", "eval_size"])

    progress.stage("features", f"{len(train_texts):,} training tweets")
    fit = fit_model(train_texts, train_labels, progress=lambda line: _fit_progress(progress, line))
    report(f"Trained in {fit.seconds:.1f}s: C={fit.C:g}, {fit.n_features:,} features")

    progress.stage("evaluation", f"{len(eval_texts):,} held-out tweets")
    challenger = Predictor(fit.vectorizer, fit.classifier)
    metrics = evaluate(eval_labels, challenger.predict_proba(eval_texts), challenger.classes)
    report(f"\nEvaluation on {len(eval_texts):,} held-out tweets:")
    report(format_confusion_matrix(metrics))
    report("")
    report(format_report(metrics))
    report("")

    champion, champion_metrics = _score_champion(eval_texts, eval_labels, report)
    decision = _gate(metrics, champion, champion_metrics, force=force)
    report(decision.message)

    if dry_run:
        report("Dry run: nothing was saved or activated.")
        return RetrainResult("dry-run", decision.message, metrics, champion_metrics)

    # Without a refit the evaluated model is also the served one.
    served, evaluated, predictor = fit, None, challenger
    served_counts = dict(Counter(train_labels))
    if eval_texts and len(data.texts) <= settings.SENTIMENT_REFIT_MAX_TWEETS:
        progress.stage("refit", f"all {len(data.texts):,} annotated tweets")
        served, evaluated = fit_model(data.texts, data.labels, progress=progress.note), fit
        predictor = Predictor(served.vectorizer, served.classifier)
        served_counts = dict(counts)
        report(
            f"Refitted on all {len(data.texts):,} annotated tweets, held-out ones included, in "
            f"{served.seconds:.1f}s (C={served.C:g}): the version serves this model; the "
            "evaluation above is of the same recipe without the held-out tweets"
        )

    progress.stage("saving")
    version = _save(served, evaluated, metrics, served_counts, dict(Counter(eval_labels)), decision)
    drift.record_reference(version, challenger, eval_texts)
    report(f"Saved version {version.pk} in {versions.version_path(version)}")
    if decision.passed:
        _, scored = versions.activate_and_rescore(
            version.pk,
            user=user,
            reason=decision.message,
            predictor=predictor,
            progress=progress,
            lock_held=True,
        )
        message = f"Version {version.pk} is now active; {scored:,} unlabelled tweets rescored."
        status = TrainingRun.Status.SUCCEEDED
    else:
        assert champion is not None  # the gate passes any version when none is active
        message = (
            f"Version {version.pk} was rejected; version {champion.pk} goes on serving. "
            f"To serve it anyway: `python manage.py activate_model {version.pk}`."
        )
        status = TrainingRun.Status.REJECTED
    report(message)
    assert run is not None
    run.status, run.finished_at = status, timezone.now()
    run.metrics, run.champion_metrics = metrics, champion_metrics or {}
    run.version, run.message = version, f"{decision.message} {message}"
    run.save()
    return RetrainResult(status, run.message, metrics, champion_metrics, version, run)


def _fit_progress(progress: Progress, line: str) -> None:
    # fit_model reports in lines: its features, then the calibration, then the final fit.
    if line.startswith("features:"):
        progress.stage("calibration", line)
    elif line.startswith("final fit"):
        progress.stage("final fit", line)
    else:
        progress.note(line)


def _read_annotations(progress: Progress) -> Dataset:
    data = Dataset()
    fields = ("text", "label", "text_hash")
    for n, (_pk, text, label, digest) in enumerate(
        iter_values(Tweet.objects.labelled(), fields, chunk=READ_CHUNK), start=1
    ):
        data.texts.append(text)
        data.labels.append(label)
        data.hashes.append(digest)
        if n % 100_000 == 0:
            progress.rows(n)
    return data


def _keep_trainable_labels(data: Dataset, counts: Counter, report: Report) -> Dataset:
    minimum = settings.SENTIMENT_MIN_PER_LABEL
    if not counts:
        raise RetrainError(
            "no annotated tweets: label some in the admin or import a labelled file "
            "(`python manage.py import_tweets FILE`)"
        )
    rare = {label: n for label, n in counts.items() if n < minimum}
    kept = [label for label in counts if label not in rare]
    if len(kept) < 2:
        have = ", ".join(f"{label} {counts[label]}" for label in ordered_labels(counts))
        raise RetrainError(
            f"too few annotated tweets to train ({have}): at least two labels need "
            f"{minimum} tweets each (SENTIMENT_MIN_PER_LABEL)"
        )
    if not rare:
        return data
    for label, n in rare.items():
        report(f"Leaving out label {label!r}: {n} tweet(s), fewer than {minimum}")
    keep = [i for i, label in enumerate(data.labels) if label not in rare]
    return Dataset(
        [data.texts[i] for i in keep],
        [data.labels[i] for i in keep],
        [data.hashes[i] for i in keep],
    )


def _score_champion(
    eval_texts: list[str], eval_labels: list[str], report: Report
) -> tuple[ModelVersion | None, dict | None]:
    champion = ModelVersion.objects.active()
    if champion is None:
        return None, None
    try:
        predictor = versions.load_evaluated_predictor(champion)
    except ArtifactError as exc:
        report(
            f"The active version {champion.pk} cannot be loaded ({exc}); comparing with the "
            "held-out metrics recorded when it was trained."
        )
        return champion, None
    return champion, evaluate(eval_labels, predictor.predict_proba(eval_texts), predictor.classes)


def _gate(
    metrics: dict, champion: ModelVersion | None, champion_metrics: dict | None, *, force: bool
) -> Decision:
    new = metrics["macro_recall"]
    if champion is None:
        return Decision(True, f"Gate: macro recall {new:.4f}, no serving model to compare: passed.")
    tolerance = settings.SENTIMENT_GATE_TOLERANCE
    if champion_metrics is not None:
        old, where = champion_metrics["macro_recall"], "for the active version"
        on = "on the same tweets"
    else:
        # Its files failed their checksum: what it scored on its own held-out tweets.
        old = champion.metrics.get("macro_recall")
        if old is None:
            return Decision(
                True,
                f"Gate: macro recall {new:.4f}; the active version {champion.pk} cannot be "
                "loaded and has no recorded metrics: passed.",
            )
        where, on = "recorded for the active version", "on its own held-out tweets"
    comparison = (
        f"macro recall {new:.4f} against {old:.4f} {where} {champion.pk} {on} "
        f"(tolerance {tolerance:g})"
    )
    if new >= old - tolerance:
        return Decision(True, f"Gate: {comparison}: passed.")
    if force:
        return Decision(True, f"Gate: {comparison}: worse, activated anyway (--force).")
    return Decision(False, f"Gate: {comparison}: rejected, the new model is worse.")


def _save(
    fit: FitResult,
    evaluated: FitResult | None,
    metrics: dict,
    train_counts: dict,
    eval_counts: dict,
    decision: Decision,
) -> ModelVersion:
    """Save the served model `fit` and, when it was refitted on every tweet, the `evaluated`
    one in its evaluation folder. The row stays `saving` until both are written."""
    params = {
        "C": fit.C,
        "cv_macro_recall": fit.cv_score,
        "n_features": fit.n_features,
        "temperature": round(fit.temperature, 4),
        "fit_seconds": round(fit.seconds, 2),
        "refitted_on_all": evaluated is not None,
    }
    if evaluated is not None:
        params["evaluated_C"] = evaluated.C
        params["fit_seconds"] = round(fit.seconds + evaluated.seconds, 2)
    version = ModelVersion.objects.create(
        sklearn_version=sklearn.__version__,
        label_counts=train_counts,
        eval_counts=eval_counts,
        metrics=metrics,
        params=params,
        gate_message=decision.message,
    )
    version.directory = f"v{version.pk:04d}-{timezone.now():%Y%m%d-%H%M%S}"
    path = versions.version_path(version)
    meta = {"version": version.pk, "labels": sorted(train_counts), "train_counts": train_counts}
    try:
        checksums = save_artifacts(path, fit.vectorizer, fit.classifier, meta)
        if evaluated is not None:
            evaluation = save_artifacts(
                path / EVALUATION_FOLDER,
                evaluated.vectorizer,
                evaluated.classifier,
                {**meta, "evaluation": "trained without the held-out tweets"},
            )
            version.evaluation_model_sha256 = evaluation.model_sha256
            version.evaluation_vectorizer_sha256 = evaluation.vectorizer_sha256
    except ArtifactError:
        # Nothing is left (a full disk, a read-only folder): no version to list or serve.
        shutil.rmtree(path, ignore_errors=True)
        version.delete()
        raise
    version.model_sha256 = checksums.model_sha256
    version.vectorizer_sha256 = checksums.vectorizer_sha256
    version.status = ModelVersion.Status.READY if decision.passed else ModelVersion.Status.REJECTED
    version.save()
    return version


def _fail_interrupted_runs() -> None:
    """Runs still marked running while we hold the lock died without saying so."""
    TrainingRun.objects.filter(status=TrainingRun.Status.RUNNING).update(
        status=TrainingRun.Status.FAILED,
        finished_at=timezone.now(),
        error="interrupted: the run stopped before finishing (killed, or lost its database)",
    )


def _record_refusal(trigger: str, reason: str) -> None:
    try:
        now = timezone.now()
        TrainingRun.objects.create(
            trigger=trigger,
            status=TrainingRun.Status.FAILED,
            started_at=now,
            finished_at=now,
            host=socket.gethostname(),
            pid=os.getpid(),
            error=f"not started: {reason}",
        )
    except DatabaseError:
        log.warning("could not record the refused retrain", exc_info=True)


def _finish_failed(run: TrainingRun, reason: str, attempts: int = 3) -> None:
    """Record the failure; if the database is away, retry briefly, then leave it to the next
    run, which marks this one as interrupted."""
    for attempt in range(attempts):
        locks.drop_broken_connection()
        try:
            TrainingRun.objects.filter(pk=run.pk).update(
                status=TrainingRun.Status.FAILED, finished_at=timezone.now(), error=reason
            )
            return
        except DatabaseError:
            if attempt + 1 < attempts:
                time.sleep(2)
    log.error("could not record the failure of run %s: %s", run.pk, reason)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, DatabaseError):
        return f"the database is unreachable: {_one_line(exc)}"
    if isinstance(exc, ArtifactError):
        return str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    return f"{type(exc).__name__}: {_one_line(exc)}"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
