"""Inter-annotator agreement: percentage agreement, Cohen's kappa, Krippendorff's alpha.

Plain Python over scikit-learn and `krippendorff`, no Django. The input is one
(item, annotator, label) triple per annotation; only items labelled by two people or more
count. A statistic that is undefined on the data (kappa when both people used a single, same
label; alpha when every label is the same) is None, never a made-up number.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import krippendorff
import numpy as np
from sklearn.metrics import cohen_kappa_score


@dataclass(frozen=True)
class Pair:
    first: Hashable
    second: Hashable
    items: int
    agreement: float
    kappa: float | None


@dataclass(frozen=True)
class LabelAgreement:
    label: str
    # Of the annotations with this label, the share the other annotator of the pair matched.
    specific_agreement: float | None
    # Cohen's kappa of "this label or not", over every pair of annotations of an item.
    kappa: float | None
    annotations: int


@dataclass
class AgreementReport:
    items: int = 0
    annotators: int = 0
    agreement: float | None = None
    alpha: float | None = None
    pairs: list[Pair] = field(default_factory=list)
    per_label: list[LabelAgreement] = field(default_factory=list)


def _annotator_order(annotator: Hashable) -> tuple[int, int, str]:
    """Numbers (user ids) in numeric order, then anything else by its text: 9 before 10."""
    if isinstance(annotator, int):
        return (0, annotator, "")
    return (1, 0, str(annotator))


def kappa(first: Sequence[str], second: Sequence[str], labels: Sequence[str]) -> float | None:
    """Cohen's kappa of two annotators over the same items; None when it is undefined."""
    if len(first) == 0 or len(set(first) | set(second)) < 2:
        return None
    return round(float(cohen_kappa_score(first, second, labels=list(labels))), 4)


def alpha(by_item: dict[Hashable, dict[Hashable, str]], labels: Sequence[str]) -> float | None:
    """Krippendorff's alpha (nominal) over items with two annotations or more."""
    items = [ratings for ratings in by_item.values() if len(ratings) >= 2]
    values = {label for ratings in items for label in ratings.values()}
    if len(values) < 2:
        return None
    annotators = sorted({a for ratings in items for a in ratings}, key=_annotator_order)
    code = {label: i for i, label in enumerate(labels)}
    data = np.full((len(annotators), len(items)), np.nan)
    row = {a: i for i, a in enumerate(annotators)}
    for j, ratings in enumerate(items):
        for annotator, label in ratings.items():
            data[row[annotator], j] = code[label]
    return round(
        float(
            krippendorff.alpha(
                reliability_data=data,
                level_of_measurement="nominal",
                value_domain=list(range(len(labels))),
            )
        ),
        4,
    )


def agreement_report(
    annotations: Iterable[tuple[Hashable, Hashable, str]], labels: Sequence[str]
) -> AgreementReport:
    """Agreement per pair of annotators, per label and overall."""
    by_item: dict[Hashable, dict[Hashable, str]] = defaultdict(dict)
    for item, annotator, label in annotations:
        by_item[item][annotator] = label
    shared = {item: r for item, r in by_item.items() if len(r) >= 2}
    report = AgreementReport(items=len(shared))
    if not shared:
        return report
    report.annotators = len({a for r in shared.values() for a in r})

    per_pair: dict[tuple, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for ratings in shared.values():
        for a, b in combinations(sorted(ratings, key=_annotator_order), 2):
            first, second = per_pair[(a, b)]
            first.append(ratings[a])
            second.append(ratings[b])
    all_first = [label for first, _ in per_pair.values() for label in first]
    all_second = [label for _, second in per_pair.values() for label in second]
    report.agreement = _share_equal(all_first, all_second)
    report.alpha = alpha(shared, labels)
    report.pairs = [
        Pair(a, b, len(first), _share_equal(first, second), kappa(first, second, labels))
        for (a, b), (first, second) in sorted(per_pair.items(), key=lambda kv: -len(kv[1][0]))
    ]
    for label in labels:
        is_first = [x == label for x in all_first]
        is_second = [x == label for x in all_second]
        both = sum(1 for x, y in zip(is_first, is_second, strict=True) if x and y)
        marked = sum(is_first) + sum(is_second)
        report.per_label.append(
            LabelAgreement(
                label=label,
                specific_agreement=round(2 * both / marked, 4) if marked else None,
                kappa=kappa(
                    ["yes" if x else "no" for x in is_first],
                    ["yes" if x else "no" for x in is_second],
                    ["yes", "no"],
                ),
                annotations=marked,
            )
        )
    return report


def _share_equal(first: Sequence[str], second: Sequence[str]) -> float:
    return round(sum(1 for x, y in zip(first, second, strict=True) if x == y) / len(first), 4)
