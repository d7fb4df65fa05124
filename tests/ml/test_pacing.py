"""Work cut into steps while a server's background thread loads a model (sentiment/ml/pacing.py)."""

from __future__ import annotations

import random
import string

import pytest

from sentiment.ml import pacing
from sentiment.ml.features import pack_vocabulary, unpack_vocabulary


def test_outside_paced_there_is_one_step_and_no_pause() -> None:
    assert list(pacing.steps(10_000, size=100)) == [slice(0, 10_000)]
    pacing.pause()  # nothing to do, nothing raised


def test_inside_paced_steps_cover_everything_with_a_pause_between_two() -> None:
    events: list[object] = []
    with pacing.paced(lambda: events.append("pause")):
        for part in pacing.steps(250, size=100):
            events.append(part)
        assert pacing.is_paced()
    assert not pacing.is_paced()
    assert events == [slice(0, 100), "pause", slice(100, 200), "pause", slice(200, 250)]


def random_vocabulary(n: int, seed: int = 3) -> dict[str, int]:
    rng = random.Random(seed)
    letters = string.ascii_lowercase + "éà😂 _"
    terms: set[str] = {""}
    while len(terms) < n:
        terms.add("".join(rng.choices(letters, k=rng.randint(1, 14))))
    ordered = sorted(terms)
    rng.shuffle(ordered)
    return {term: column for column, term in enumerate(ordered)}


@pytest.mark.parametrize("n", [1, 2, 5_000])
def test_a_paced_unpack_builds_the_same_dictionary_in_steps(n: int) -> None:
    vocabulary = random_vocabulary(n)
    packed = pack_vocabulary(vocabulary)
    assert packed is not None
    pauses: list[None] = []
    with pacing.paced(lambda: pauses.append(None)):
        paced = unpack_vocabulary(packed, n)
    at_once = unpack_vocabulary(packed, n)

    assert paced == at_once == vocabulary
    assert list(paced.items()) == list(at_once.items())  # same order: columns 0..n-1
    # About one pause per STEP terms (slices are cut by characters, so roughly).
    assert len(pauses) >= (n // pacing.STEP) - 1
    if n > 2 * pacing.STEP:
        assert pauses


def test_a_paced_unpack_still_refuses_a_wrong_size() -> None:
    packed = pack_vocabulary(random_vocabulary(5_000))
    assert packed is not None
    with pacing.paced(lambda: None), pytest.raises(ValueError, match="5001 terms holds 5000"):
        unpack_vocabulary(packed, 5_001)
