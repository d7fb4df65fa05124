"""Stored predictions: the active model's score and uncertainty for every unlabelled tweet.

Refreshed in bulk after each activation, so that the admin's list and the annotation queue
sort by them without calling the model on each page.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.db import connections, transaction

from sentiment.ml import sampling
from sentiment.ml.artifacts import load_artifacts
from sentiment.ml.predictor import Predictor
from sentiment.models import ModelVersion, Tweet
from sentiment.services import versions
from sentiment.services.tweets import iter_values

CHUNK = 5000
# Up to this many unlabelled tweets, an activation from the admin rescores them before it
# answers; beyond, in a background thread, so that the request stays short.
INLINE_LIMIT = 20_000

log = logging.getLogger(__name__)


def load_predictor(version: ModelVersion) -> Predictor:
    vectorizer, classifier = load_artifacts(
        versions.version_path(version), versions.checksums(version)
    )
    return Predictor(vectorizer, classifier)


def refresh_predictions(
    version: ModelVersion,
    predictor: Predictor | None = None,
    *,
    progress: Callable[[str], None] | None = None,
) -> int:
    """Score every unlabelled tweet with `version`; returns how many were scored."""
    predictor = predictor or load_predictor(version)
    done = 0
    pending: list[tuple[int, str]] = []
    for pk, text in iter_values(Tweet.objects.unlabelled(), ("text",), chunk=CHUNK):
        pending.append((pk, text))
        if len(pending) == CHUNK:
            done += _score(pending, predictor, version.pk)
            pending.clear()
            if progress:
                progress(f"scored {done:,} unlabelled tweets")
    if pending:
        done += _score(pending, predictor, version.pk)
    return done


def _score(rows: list[tuple[int, str]], predictor: Predictor, version: int) -> int:
    proba = predictor.predict_proba([text for _, text in rows])
    scores = predictor.scores_from_proba(proba)
    # The measure the annotation queue sorts by (and bench/active_learning.py simulates).
    uncertainty = sampling.uncertainty(proba)
    tweets = [
        Tweet(pk=pk, predicted_score=float(s), uncertainty=float(u), scored_by_version=version)
        for (pk, _), s, u in zip(rows, scores, uncertainty, strict=True)
    ]
    with transaction.atomic():
        Tweet.objects.bulk_update(
            tweets, ["predicted_score", "uncertainty", "scored_by_version"], batch_size=1000
        )
    return len(tweets)


def refresh_after_activation(version: ModelVersion) -> str:
    """Rescore after an activation made in a web request; returns a message for the user."""
    pending = Tweet.objects.unlabelled().count()
    if pending <= INLINE_LIMIT:
        scored = refresh_predictions(version)
        return f"{scored:,} unlabelled tweets rescored."
    threading.Thread(
        target=_refresh_in_background, args=(version.pk,), daemon=True, name="rescore"
    ).start()
    return f"{pending:,} unlabelled tweets are being rescored in the background."


def _refresh_in_background(version_id: int) -> None:
    try:
        refresh_predictions(ModelVersion.objects.get(pk=version_id))
    except Exception:
        log.exception("rescoring with version %s failed", version_id)
    finally:
        connections.close_all()
