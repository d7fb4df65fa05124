import numpy as np
import pytest

from sentiment.ml.evaluate import evaluate, format_confusion_matrix, reliability_table

CLASSES = ["negative", "neutral", "positive"]


def test_metrics_of_a_small_known_case():
    y_true = ["negative", "negative", "neutral", "positive"]
    proba = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.8, 0.1], [0.1, 0.2, 0.7]])

    metrics = evaluate(y_true, proba, CLASSES)

    assert metrics["accuracy"] == 0.75
    assert metrics["per_label"]["negative"]["recall"] == 0.5
    assert metrics["macro_recall"] == pytest.approx((0.5 + 1 + 1) / 3, abs=1e-4)
    assert metrics["confusion_matrix"] == {
        "labels": CLASSES,
        "matrix": [[1, 1, 0], [0, 1, 0], [0, 0, 1]],
    }
    assert "true \\ predicted" in format_confusion_matrix(metrics)


def test_a_label_the_model_cannot_predict_counts_as_zero_recall():
    y_true = ["negative", "neutral", "positive"]
    proba = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8]])

    metrics = evaluate(y_true, proba, ["negative", "positive"])

    assert metrics["per_label"]["neutral"]["recall"] == 0.0
    assert metrics["macro_recall"] == pytest.approx(2 / 3, abs=1e-4)


def test_the_reliability_table_compares_confidence_with_accuracy():
    confidence = np.array([0.95, 0.95, 0.95, 0.95, 0.55, 0.55])
    correct = np.array([True, True, True, False, True, False])

    rows, ece = reliability_table(confidence, correct, bins=10)

    assert rows == [
        {"range": "0.5-0.6", "count": 2, "confidence": 0.55, "accuracy": 0.5},
        {"range": "0.9-1.0", "count": 4, "confidence": 0.95, "accuracy": 0.75},
    ]
    assert ece == pytest.approx((2 * 0.05 + 4 * 0.2) / 6, abs=1e-4)
