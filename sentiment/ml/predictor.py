"""Scoring tweets with a fitted (vectorizer, classifier) pair.

score = P(positive) - P(negative), in [-1, 1]. The probabilities are exactly
`classifier.predict_proba(vectorizer.transform(texts))`, so a script that loads the two pickles
gets the same numbers as the API.

For a fitted ``LogisticRegression`` the probabilities are computed here with the same
arithmetic as its ``predict_proba`` (decision = X @ coef_.T + intercept_, then the logistic
function for two labels or softmax for more) but without its per-call input validation, which
costs about 0.3 ms: as much as scoring a short tweet. The result is bit-for-bit the same
(``tests/ml/test_predictor.py`` checks it); any other classifier goes through its own
``predict_proba``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.utils.extmath import softmax

from sentiment.ml.artifacts import Checksums, load_artifacts
from sentiment.ml.evaluate import LABEL_ORDER

SCORE_DECIMALS = 4


class Predictor:
    def __init__(self, vectorizer: Any, classifier: Any) -> None:
        self.vectorizer = vectorizer
        self.classifier = classifier
        self.classes: list[str] = [str(c) for c in classifier.classes_]
        self._pos = self._index("positive")
        self._neg = self._index("negative")
        self._feature_names: np.ndarray | None = None
        self._score_weights: np.ndarray | None = None
        # Exactly a LogisticRegression (not a subclass that may change predict_proba).
        self._linear = type(classifier) is LogisticRegression
        if self._linear:
            self._coef_t = np.asarray(classifier.coef_).T
            self._intercept = np.asarray(classifier.intercept_)

    @classmethod
    def load(cls, directory: Path, checksums: Checksums) -> Predictor:
        """The model saved in `directory`, unpickled only once both checksums match.

        The one way model files are loaded, in a server, a job worker or a scoring process;
        raises ArtifactError.
        """
        vectorizer, classifier = load_artifacts(directory, checksums)
        return cls(vectorizer, classifier)

    def _index(self, label: str) -> int | None:
        return self.classes.index(label) if label in self.classes else None

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities in the classifier's own class order."""
        return self.proba_from_features(self.features(texts))

    def features(self, texts: Sequence[str]) -> Any:
        """``vectorizer.transform(texts)``; the product's vectorizer computes the same matrix
        without scikit-learn's per-call checks (``TweetVectorizer.features``)."""
        features = getattr(self.vectorizer, "features", None)
        return features(texts) if features is not None else self.vectorizer.transform(texts)

    def proba_from_features(self, X: Any) -> np.ndarray:
        """``classifier.predict_proba(X)`` for a feature matrix from ``self.vectorizer``."""
        if not self._linear:
            return self.classifier.predict_proba(X)
        decision = np.asarray(X @ self._coef_t) + self._intercept
        if decision.shape[1] == 1:
            positive = expit(decision[:, 0])
            return np.stack([1 - positive, positive], axis=1)
        return softmax(decision, copy=False)

    def scores_from_proba(self, proba: np.ndarray) -> np.ndarray:
        score = np.zeros(proba.shape[0])
        if self._pos is not None:
            score += proba[:, self._pos]
        if self._neg is not None:
            score -= proba[:, self._neg]
        return np.clip(np.round(score, SCORE_DECIMALS), -1.0, 1.0)

    def scores(self, texts: Sequence[str]) -> list[float]:
        if not texts:
            return []
        return self.scores_from_proba(self.predict_proba(texts)).tolist()

    def detail(self, texts: Sequence[str], *, top_terms: int = 5) -> list[dict]:
        """Per tweet: score, label, the three probabilities and the terms that weighed most."""
        if not texts:
            return []
        X = self.features(texts)
        proba = self.proba_from_features(X)
        scores = self.scores_from_proba(proba)
        explanations = self.explain(X, top_terms=top_terms)
        results = []
        for text, row, score, explanation in zip(texts, proba, scores, explanations, strict=True):
            probabilities = dict.fromkeys(LABEL_ORDER, 0.0)
            for label, p in zip(self.classes, row, strict=True):
                probabilities[label] = round(float(p), SCORE_DECIMALS)
            results.append(
                {
                    "text": text,
                    "score": float(score),
                    "label": self.classes[int(np.argmax(row))],
                    "probabilities": probabilities,
                    "explanation": explanation,
                }
            )
        return results

    def explain(self, X: Any, *, top_terms: int = 5) -> list[list[list[Any]]]:
        """The features that moved each tweet's score most, with their signed contribution.

        A feature's contribution is its value times its weight towards "positive" minus its
        weight towards "negative" in the logistic regression (the log-odds between the two
        ends of the scale), so a positive number pushed the score up.
        """
        weights = self.score_weights()
        names = self.feature_names()
        X = X.tocsr()
        out = []
        for i in range(X.shape[0]):
            start, end = X.indptr[i], X.indptr[i + 1]
            cols, values = X.indices[start:end], X.data[start:end]
            contributions = values * weights[cols]
            order = np.argsort(-np.abs(contributions))[:top_terms]
            out.append(
                [
                    [str(names[cols[j]]), round(float(contributions[j]), SCORE_DECIMALS)]
                    for j in order
                    if contributions[j] != 0
                ]
            )
        return out

    def score_weights(self) -> np.ndarray:
        if self._score_weights is None:
            coef = np.asarray(self.classifier.coef_)
            if coef.shape[0] == 1:
                # Binary: one row of weights towards classes_[1]. Classes sort alphabetically,
                # so classes_[1] is always the more positive of the two.
                weights = coef[0]
            else:
                weights = np.zeros(coef.shape[1])
                if self._pos is not None:
                    weights += coef[self._pos]
                if self._neg is not None:
                    weights -= coef[self._neg]
            self._score_weights = weights
        return self._score_weights

    def feature_names(self) -> np.ndarray:
        if self._feature_names is None:
            self._feature_names = self.vectorizer.get_feature_names_out()
        return self._feature_names
