import math
from collections import Counter

import numpy as np
import pytest
import scipy.sparse as sp

from sentiment.ml import train
from sentiment.ml.train import (
    C_MAX,
    C_MIN,
    C_SCALE,
    CALIBRATION_MAX_SAMPLES,
    SAG_MIN_SAMPLES,
    FitResult,
    calibration_sample,
    fit_model,
    make_classifier,
    regularisation,
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
    result = fit_model(texts, labels)
    _check(result, {"positive", "negative"}, texts)
    assert 0.0 <= result.cv_score <= 1.0
    pred = result.classifier.predict(result.vectorizer.transform(["love it", "hate it"]))
    assert list(pred) == ["positive", "negative"]


def test_three_labels_with_progress() -> None:
    texts = POS + NEG + NEU
    labels = ["positive"] * 6 + ["negative"] * 6 + ["neutral"] * 6
    messages: list[str] = []
    result = fit_model(texts, labels, progress=messages.append)
    _check(result, {"positive", "negative", "neutral"}, texts)
    assert messages


def test_label_rarer_than_folds_does_not_crash() -> None:
    texts = POS + NEG[:1]
    result = fit_model(texts, ["positive"] * 6 + ["negative"])
    _check(result, {"positive", "negative"}, texts)
    assert math.isnan(result.cv_score)


def test_single_label_is_rejected() -> None:
    with pytest.raises(ValueError, match="at least two distinct labels"):
        fit_model(POS, ["positive"] * 6)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("true_t", [0.5, 1.0, 2.5])
def test_fit_temperature_recovers_the_temperature_that_generated_the_labels(n_classes, true_t):
    from scipy.special import expit, softmax

    from sentiment.ml.train import fit_temperature

    rng = np.random.default_rng(0)
    classes = np.array(["negative", "neutral", "positive"][:n_classes])
    if n_classes == 2:
        decisions = rng.normal(0, 3, 20_000)
        p1 = expit(decisions / true_t)
        y = classes[(rng.random(len(decisions)) < p1).astype(int)]
    else:
        decisions = rng.normal(0, 3, (20_000, 3))
        p = softmax(decisions / true_t, axis=1)
        y = classes[[rng.choice(3, p=row) for row in p]]

    assert fit_temperature(decisions, y, classes) == pytest.approx(true_t, rel=0.08)


def test_calibration_divides_the_decisions_and_keeps_the_predicted_labels() -> None:
    from sentiment.ml.train import make_classifier

    texts = (POS + NEG + NEU) * 4 + ["love day", "sad bus", "happy phone", "nul bus"]
    labels = (["positive"] * 6 + ["negative"] * 6 + ["neutral"] * 6) * 4 + [
        "positive",
        "negative",
        "neutral",
        "negative",
    ]
    result = fit_model(texts, labels)
    X = result.vectorizer.transform(texts)
    plain = make_classifier(result.C, 3, len(texts)).fit(X, labels)

    assert math.isfinite(result.temperature)
    assert result.temperature > 0
    assert result.temperature != 1.0
    np.testing.assert_allclose(
        result.classifier.decision_function(X),
        plain.decision_function(X) / result.temperature,
        atol=1e-4,  # two lbfgs runs agree to its tolerance, not bit for bit
    )
    assert list(result.classifier.predict(X)) == list(plain.predict(X))


def test_no_calibration_without_cross_validation() -> None:
    result = fit_model(["love it", "hate it", "great"], ["positive", "negative", "positive"])

    assert result.temperature == 1.0


def test_solver_follows_the_number_of_labels_and_tweets() -> None:
    assert make_classifier(1.0, 2, 1_000_000).solver == "liblinear"
    assert make_classifier(1.0, 3, SAG_MIN_SAMPLES - 1).solver == "lbfgs"
    assert make_classifier(1.0, 3, SAG_MIN_SAMPLES).solver == "sag"
    assert make_classifier(1.0, 3, SAG_MIN_SAMPLES).tol == 1e-4
    assert make_classifier(1.0, 3, 10 * CALIBRATION_MAX_SAMPLES).tol == 1e-3


def test_calibration_sample_keeps_small_sets_whole() -> None:
    X = sp.csr_matrix(np.eye(10, dtype=np.float32))
    y = np.array(["a", "b"] * 5, dtype=object)

    X_cal, y_cal = calibration_sample(X, y)

    assert X_cal is X
    assert y_cal is y


def test_calibration_sample_is_stratified_and_bounded(monkeypatch) -> None:
    monkeypatch.setattr(train, "CALIBRATION_MAX_SAMPLES", 100)
    y = np.array(["negative"] * 600 + ["neutral"] * 100 + ["positive"] * 300, dtype=object)
    X = sp.csr_matrix(np.arange(len(y), dtype=np.float32).reshape(-1, 1))

    X_cal, y_cal = calibration_sample(X, y)

    assert X_cal.shape == (100, 1)
    assert Counter(y_cal) == {"negative": 60, "neutral": 10, "positive": 30}
    rows = X_cal.toarray().ravel().astype(int)
    assert list(y[rows]) == list(y_cal)  # the same rows of X and y
    assert len(set(rows)) == 100


def test_large_sets_calibrate_on_the_sample_and_fit_on_everything(monkeypatch) -> None:
    monkeypatch.setattr(train, "CALIBRATION_MAX_SAMPLES", 24)
    texts = (POS + NEG + NEU) * 3
    labels = (["positive"] * 6 + ["negative"] * 6 + ["neutral"] * 6) * 3
    messages: list[str] = []

    result = fit_model(texts, labels, progress=messages.append)

    assert any("stratified sample of 24 texts" in m for m in messages)
    assert 0.0 <= result.cv_score <= 1.0
    _check(result, {"positive", "negative", "neutral"}, texts)


def test_the_penalty_grows_with_the_square_root_of_the_training_set() -> None:
    assert regularisation(10_000) == pytest.approx(C_SCALE / 100)
    assert regularisation(40_000) == pytest.approx(regularisation(10_000) / 2)
    assert regularisation(1) == C_MAX  # bounded for a handful of tweets
    assert regularisation(10**12) == C_MIN


def test_fit_uses_the_size_rule_unless_told_otherwise() -> None:
    texts = (POS + NEG) * 3
    labels = (["positive"] * 6 + ["negative"] * 6) * 3
    assert regularisation(len(texts)) == fit_model(texts, labels).C
    assert fit_model(texts, labels, C=0.5).C == 0.5
