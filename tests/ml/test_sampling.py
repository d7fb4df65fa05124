"""Choosing what to annotate next: most uncertain first, near-duplicates apart."""

from __future__ import annotations

import numpy as np
import pytest

from sentiment.ml.sampling import (
    MIN_WINDOW,
    balanced,
    entropy,
    margin,
    mix_random,
    most_uncertain,
    pick_diverse,
    shingles,
    similarity,
    uncertainty,
    window_size,
)


def test_a_retweet_and_the_same_text_with_another_link_are_near_duplicates():
    original = shingles("Win a free iPhone today! Follow @shop and RT http://t.co/abc")
    retweet = shingles("RT @bob: Win a free iPhone today! Follow @shop and RT http://t.co/xyz")

    assert similarity(original, retweet) >= 0.5


def test_different_tweets_are_not_near_duplicates():
    a = shingles("The train is late again, what a mess")
    b = shingles("Loved the concert last night, what a voice")

    assert similarity(a, b) < 0.2


def test_pick_diverse_keeps_the_order_but_passes_over_near_duplicates():
    candidates = [
        (1, "Win a free iPhone today, follow and RT"),
        (2, "RT @x: Win a free iPhone today, follow and RT"),
        (3, "The train is late again"),
        (4, "Win a free iPhone today, follow and RT!!"),
        (5, "Great match tonight"),
    ]

    assert pick_diverse(candidates, 3) == [1, 3, 5]


def test_pick_diverse_avoids_what_the_annotator_just_saw():
    candidates = [(1, "Win a free iPhone today, follow and RT"), (2, "The train is late again")]

    assert pick_diverse(
        candidates, 1, recent=["RT @a: Win a free iPhone today, follow and RT"]
    ) == [2]


def test_a_queue_of_near_duplicates_still_serves():
    candidates = [(n, f"Win a free iPhone today, follow and RT {n}") for n in range(5)]

    assert pick_diverse(candidates, 3) == [0, 1, 2]


def test_most_uncertain_ranks_by_uncertainty_then_position():
    keys = ["a", "b", "c", "d"]
    texts = ["one two three", "four five six", "seven eight nine", "ten eleven twelve"]
    scores = np.array([0.1, 0.6, 0.6, 0.3])

    assert most_uncertain(keys, texts, scores, 3) == ["b", "c", "d"]
    assert most_uncertain(keys, texts, scores, 2, diverse=False) == ["b", "c"]


def test_uncertainty_is_zero_when_sure_and_highest_when_torn():
    proba = np.array([[1.0, 0.0, 0.0], [0.34, 0.33, 0.33]])

    assert uncertainty(proba).tolist() == pytest.approx([0.0, 0.66])


def test_the_window_grows_with_the_tweets_wanted():
    assert window_size(1) == MIN_WINDOW
    assert window_size(250) == 1000


def test_balanced_takes_each_group_in_turn_best_score_first():
    score = np.array([0.9, 0.8, 0.7, 0.1, 0.2, 0.3])
    groups = np.array([0, 0, 0, 0, 1, 2])

    order = np.argsort(-balanced(score, groups), kind="stable")

    # One of each group first (best scored first), then group 0 alone.
    assert list(order) == [0, 5, 4, 1, 2, 3]


def test_mix_random_moves_about_the_share_asked_for():
    priority = np.arange(10_000, 0, -1, dtype=float)  # already in order
    rng = np.random.default_rng(0)

    mixed = mix_random(priority, 0.25, rng)

    first = np.argsort(-mixed, kind="stable")[:1000]
    from_elsewhere = np.mean(first >= 1000)
    assert 0.2 < from_elsewhere < 0.3


def test_margin_and_entropy_are_highest_when_torn():
    proba = np.array([[0.98, 0.01, 0.01], [0.5, 0.49, 0.01], [1 / 3, 1 / 3, 1 / 3]])

    assert list(np.argsort(margin(proba))) == [0, 1, 2]
    assert list(np.argsort(entropy(proba))) == [0, 1, 2]
