"""Scoring tweets with the serving model, and counting what it answered (metrics, drift)."""

from __future__ import annotations

import numpy as np

from sentiment.services import drift, metrics, shadow
from sentiment.services.registry import ServingModel, registry


def predict_scores(tweets: list[str]) -> tuple[int, dict[str, float]]:
    """(version, {tweet: score}) in the old project's format; a repeated tweet appears once."""
    serving = registry.get()
    if not tweets:
        return serving.version, {}
    predictor = serving.predictor
    features = predictor.features(tweets)
    proba = predictor.proba_from_features(features)
    scores = predictor.scores_from_proba(proba).tolist()
    labels = [predictor.classes[i] for i in np.argmax(proba, axis=1)]
    _observe(serving, tweets, labels, scores)
    drift.observe_tokens(serving, tweets, features)
    return serving.version, dict(zip(tweets, scores, strict=True))


def predict_detail(tweets: list[str]) -> tuple[int, list[dict]]:
    """(version, one result per tweet in input order): score, label, probabilities, terms."""
    serving = registry.get()
    results = serving.predictor.detail(tweets)
    _observe(serving, tweets, [r["label"] for r in results], [r["score"] for r in results])
    return serving.version, results


def _observe(
    serving: ServingModel, tweets: list[str], labels: list[str], scores: list[float]
) -> None:
    # Counters in memory, and for a sampled request a place in the shadow queue: nothing here
    # waits on the database or on another model.
    metrics.record_predictions(serving.version, labels, scores)
    drift.observe(serving.version, labels, scores)
    shadow.scorer.offer(serving.version, tweets, labels, scores)
