import math
from collections import Counter

import numpy as np
import pytest
import scipy.sparse as sp

from sentiment.ml import train
from sentiment.ml.train import (
    SAG_MIN_SAMPLES,
    SEARCH_MAX_SAMPLES,
    FitResult,
    fit_model,
    make_classifier,
    search_sample,
)

POS = ["love it", "great day :)", "so happy 😍", "awesome stuff", "j'adore", "trop bien"]
NEG = ["hate it", "awful day :(", "so sad 😭", "terrible stuff", "je déteste", "trop nul"]
NEU = ["it is a phone", "the bus at 9", "meeting today", "new post", "la réunion", "le bus"]


def _check(result: FitResult, labels: set[str], texts: list[str]) -> None:
    assert set(result.classifier.classes_) == labels
    proba = result.classifier.predict_proba(result.vectorizer.transform(texts))
    assert proba.shape == (len(texts), len(labels))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert result.n_features == len(result.vectorizer.get_feature_names_out())
    assert result.seconds >= 0
    assert result.C > 0


def test_two_labels() -> None:
    texts = (POS + NEG) * 3
    labels = (["positive"] * 6 + ["negative"] * 6) * 3
    result = fit_model(texts, labels, time_budget_s=10)
    _check(result, {"positive", "negative"}, texts)
    assert 0.0 <= result.cv_score <= 1.0
    pred = result.classifier.predict(result.vectorizer.transform(["love it", "hate it"]))
    assert list(pred) == ["positive", "negative"]


def test_three_labels_with_progress() -> None:
    texts = POS + NEG + NEU
    labels = ["positive"] * 6 + ["negative"] * 6 + ["neutral"] * 6
    messages: list[str] = []
    result = fit_model(texts, labels, time_budget_s=10, progress=messages.append)
    _check(result, {"positive", "negative", "neutral"}, texts)
    assert messages


def test_label_rarer_than_folds_does_not_crash() -> None:
    texts = POS + NEG[:1]
    result = fit_model(texts, ["positive"] * 6 + ["negative"], time_budget_s=5)
    _check(result, {"positive", "negative"}, texts)
    assert math.isnan(result.cv_score)


def test_single_label_is_rejected() -> None:
    with pytest.raises(ValueError, match="at least two distinct labels"):
        fit_model(POS, ["positive"] * 6)


def test_solver_follows_the_number_of_labels_and_tweets() -> None:
    assert make_classifier(1.0, 2, 1_000_000).solver == "liblinear"
    assert make_classifier(1.0, 3, SAG_MIN_SAMPLES - 1).solver == "lbfgs"
    assert make_classifier(1.0, 3, SAG_MIN_SAMPLES).solver == "sag"
    assert make_classifier(1.0, 3, SAG_MIN_SAMPLES).tol == 1e-4
    assert make_classifier(1.0, 3, 10 * SEARCH_MAX_SAMPLES).tol == 1e-3


def test_search_sample_keeps_small_sets_whole() -> None:
    X = sp.csr_matrix(np.eye(10, dtype=np.float32))
    y = np.array(["a", "b"] * 5, dtype=object)

    X_search, y_search = search_sample(X, y)

    assert X_search is X
    assert y_search is y


def test_search_sample_is_stratified_and_bounded(monkeypatch) -> None:
    monkeypatch.setattr(train, "SEARCH_MAX_SAMPLES", 100)
    y = np.array(["negative"] * 600 + ["neutral"] * 100 + ["positive"] * 300, dtype=object)
    X = sp.csr_matrix(np.arange(len(y), dtype=np.float32).reshape(-1, 1))

    X_search, y_search = search_sample(X, y)

    assert X_search.shape == (100, 1)
    assert Counter(y_search) == {"negative": 60, "neutral": 10, "positive": 30}
    rows = X_search.toarray().ravel().astype(int)
    assert list(y[rows]) == list(y_search)  # the same rows of X and y
    assert len(set(rows)) == 100


def test_large_sets_search_c_on_the_sample_and_fit_on_everything(monkeypatch) -> None:
    monkeypatch.setattr(train, "SEARCH_MAX_SAMPLES", 24)
    texts = (POS + NEG + NEU) * 3
    labels = (["positive"] * 6 + ["negative"] * 6 + ["neutral"] * 6) * 3
    messages: list[str] = []

    result = fit_model(texts, labels, time_budget_s=10, progress=messages.append)

    assert any("stratified sample of 24 texts" in m for m in messages)
    assert result.cv_scores
    _check(result, {"positive", "negative", "neutral"}, texts)
