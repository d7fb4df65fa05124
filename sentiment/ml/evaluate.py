"""Scoring a model on held-out tweets, and printing the result for people."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

LABEL_ORDER = ("negative", "neutral", "positive")


def ordered_labels(labels: Iterable[str]) -> list[str]:
    """Labels in their natural order (negative, neutral, positive), unknown ones last."""
    present = set(labels)
    known = [label for label in LABEL_ORDER if label in present]
    return known + sorted(present - set(LABEL_ORDER))


def evaluate(
    y_true: Sequence[str], proba: np.ndarray, classes: Sequence[str], *, bins: int = 10
) -> dict:
    """Metrics of predicted probabilities against true labels, as plain JSON-ready data.

    Averages run over the labels present in `y_true`: a model that cannot predict one of them
    scores zero recall there, which is what an analyst would see.
    """
    classes = list(classes)
    y_true = list(y_true)
    y_pred = [classes[i] for i in np.argmax(proba, axis=1)]
    labels = ordered_labels(y_true)
    shown = ordered_labels(set(labels) | set(classes))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    matrix = confusion_matrix(y_true, y_pred, labels=shown)
    correct = np.asarray(y_true, dtype=object) == np.asarray(y_pred, dtype=object)
    reliability, ece = reliability_table(proba.max(axis=1), correct, bins=bins)
    return {
        "n": len(y_true),
        "labels": labels,
        "accuracy": round(float(correct.mean()), 4) if y_true else 0.0,
        "macro_recall": round(float(recall.mean()), 4),
        "macro_f1": round(float(f1.mean()), 4),
        "per_label": {
            label: {
                "precision": round(float(p), 4),
                "recall": round(float(r), 4),
                "f1": round(float(f), 4),
                "support": int(s),
            }
            for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
        },
        "confusion_matrix": {"labels": shown, "matrix": matrix.tolist()},
        "reliability": reliability,
        "ece": ece,
    }


def reliability_table(
    confidence: np.ndarray, correct: np.ndarray, *, bins: int = 10
) -> tuple[list[dict], float]:
    """Observed accuracy per band of predicted confidence, and the expected calibration error.

    A calibrated model is right 80% of the time when it says 0.8: the two columns agree.
    """
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    rows, ece, n = [], 0.0, len(confidence)
    for b in range(bins):
        in_bin = index == b
        count = int(in_bin.sum())
        if not count:
            continue
        conf, acc = float(confidence[in_bin].mean()), float(correct[in_bin].mean())
        ece += count / n * abs(conf - acc)
        rows.append(
            {
                "range": f"{edges[b]:.1f}-{edges[b + 1]:.1f}",
                "count": count,
                "confidence": round(conf, 4),
                "accuracy": round(acc, 4),
            }
        )
    return rows, round(ece, 4)


def format_confusion_matrix(metrics: dict) -> str:
    labels = metrics["confusion_matrix"]["labels"]
    matrix = metrics["confusion_matrix"]["matrix"]
    width = max(10, *(len(label) + 2 for label in labels))
    lines = ["true \\ predicted".ljust(18) + "".join(label.rjust(width) for label in labels)]
    for label, row in zip(labels, matrix, strict=True):
        lines.append(label.ljust(18) + "".join(str(v).rjust(width) for v in row))
    return "\n".join(lines)


def format_report(metrics: dict) -> str:
    lines = [f"{'':12}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
    for label, m in metrics["per_label"].items():
        lines.append(
            f"{label:12}{m['precision']:>10.3f}{m['recall']:>10.3f}{m['f1']:>10.3f}"
            f"{m['support']:>10}"
        )
    lines.append("")
    lines.append(f"{'accuracy':12}{'':20}{metrics['accuracy']:>10.3f}{metrics['n']:>10}")
    lines.append(f"{'macro recall':12}{'':10}{metrics['macro_recall']:>10.3f}")
    lines.append(f"{'macro f1':12}{'':20}{metrics['macro_f1']:>10.3f}")
    return "\n".join(lines)
