import math

import numpy as np
import pytest

from sentiment.ml.train import FitResult, fit_model

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
