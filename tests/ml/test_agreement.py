"""Agreement statistics against values computed by hand."""

from __future__ import annotations

import pytest

from sentiment.ml.agreement import agreement_report, alpha, kappa

LABELS = ["negative", "neutral", "positive"]


def test_kappa_matches_the_textbook_value():
    # po = 6/10; both say positive 6 times in 10: pe = 0.6*0.6 + 0.4*0.4 = 0.52
    a = ["positive", "positive", "negative", "negative", "positive"] * 2
    b = ["positive", "negative", "negative", "positive", "positive"] * 2

    assert kappa(a, b, LABELS) == pytest.approx((0.6 - 0.52) / 0.48, abs=1e-4)


def test_kappa_is_undefined_when_both_used_one_same_label():
    assert kappa(["neutral"] * 3, ["neutral"] * 3, LABELS) is None


def test_perfect_agreement_gives_kappa_and_alpha_of_one():
    rows = [(i, who, label) for i, label in enumerate(LABELS * 2) for who in ("ann", "bob")]

    report = agreement_report(rows, LABELS)

    assert (report.items, report.annotators, report.agreement) == (6, 2, 1.0)
    assert report.pairs[0].kappa == 1.0
    assert report.alpha == 1.0


def test_the_report_counts_pairs_and_labels():
    rows = [
        (1, "ann", "positive"),
        (1, "bob", "positive"),
        (2, "ann", "negative"),
        (2, "bob", "neutral"),
        (3, "ann", "neutral"),
        (3, "bob", "neutral"),
        (3, "cy", "negative"),
        (4, "ann", "positive"),  # one annotation: left out
    ]

    report = agreement_report(rows, LABELS)

    assert report.items == 3
    pairs = {(p.first, p.second): p for p in report.pairs}
    assert pairs[("ann", "bob")].items == 3
    assert pairs[("ann", "bob")].agreement == pytest.approx(2 / 3, abs=1e-4)
    assert pairs[("ann", "cy")].items == 1
    # pairs of annotations: (pos,pos) (neg,neu) (neu,neu) (neu,neg) (neu,neg) → 2 of 5 agree
    assert report.agreement == pytest.approx(0.4)
    per_label = {row.label: row for row in report.per_label}
    assert per_label["positive"].specific_agreement == 1.0
    assert per_label["negative"].specific_agreement == 0.0


def test_alpha_is_undefined_when_everyone_gave_the_same_label():
    assert alpha({1: {"a": "neutral", "b": "neutral"}}, LABELS) is None


def test_alpha_counts_one_disagreement_in_four_items():
    # Two coders, nominal, one disagreement out of four items.
    by_item = {
        1: {"a": "negative", "b": "negative"},
        2: {"a": "positive", "b": "positive"},
        3: {"a": "neutral", "b": "neutral"},
        4: {"a": "positive", "b": "neutral"},
    }
    # Do = 2/8; De from the pooled values (neg 2, pos 3, neu 3 of 8):
    # De = (8*8 - (4 + 9 + 9)) / (8 * 7) = 42/56; alpha = 1 - (2/8) / (42/56) = 2/3
    assert alpha(by_item, LABELS) == pytest.approx(2 / 3, abs=1e-4)


def test_user_ids_pair_up_in_numeric_order():
    rows = [(1, 9, "positive"), (1, 10, "negative")]

    report = agreement_report(rows, LABELS)

    assert [(p.first, p.second) for p in report.pairs] == [(9, 10)]  # not "10" < "9"
