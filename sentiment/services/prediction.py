"""Scoring tweets with the serving model."""

from __future__ import annotations

from sentiment.services.registry import registry


def predict_scores(tweets: list[str]) -> tuple[int, dict[str, float]]:
    """(version, {tweet: score}) in the old project's format; a repeated tweet appears once."""
    serving = registry.get()
    return serving.version, dict(zip(tweets, serving.predictor.scores(tweets), strict=True))


def predict_detail(tweets: list[str]) -> tuple[int, list[dict]]:
    """(version, one result per tweet in input order): score, label, probabilities, terms."""
    serving = registry.get()
    return serving.version, serving.predictor.detail(tweets)
