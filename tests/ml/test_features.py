import pickle

import joblib
import numpy as np
import pytest

from sentiment.ml.features import build_vectorizer, word_grams
from sentiment.ml.lexicon import FEATURE_NAMES, combined_lexicon, lexicon_row
from sentiment.ml.normalize import tokenize

TEXTS = [
    "I love this so much :)",
    "I don't like it at all",
    "J'adore ce film 😍",
    "Je n'aime pas du tout, c'est nul",
    "meh, it is a phone @user http://x.co",
    "génial!!! soooo happy",
] * 3


@pytest.fixture(scope="module")
def fitted():
    vec = build_vectorizer(len(TEXTS))
    return vec, vec.fit_transform(TEXTS)


def test_word_grams_keep_flags_out_of_ngrams() -> None:
    grams = word_grams(tokenize("soooo good"))
    assert grams == ["soo", "good", "soo good", "ELONG"]


def test_names_are_readable_and_match_columns(fitted) -> None:
    vec, X = fitted
    names = vec.get_feature_names_out()
    assert len(names) == X.shape[1] == vec.n_features_out_
    for expected in ("love", "like_NEG", "😍", "aime_NEG", "@USER", "URL", "lex:compound"):
        assert expected in names
    assert any(n.startswith("char:") for n in names)
    assert list(names[-len(FEATURE_NAMES) :]) == list(FEATURE_NAMES)


def test_transform_is_deterministic_and_float32(fitted) -> None:
    vec, X = fitted
    again = build_vectorizer(len(TEXTS)).fit_transform(TEXTS)
    assert X.dtype == np.float32
    assert (again != X).nnz == 0
    assert (vec.transform(TEXTS) != X).nnz == 0


def test_pickle_round_trip(fitted, tmp_path) -> None:
    vec, X = fitted
    path = tmp_path / "vec.joblib"
    joblib.dump(vec, path)
    assert (joblib.load(path).transform(TEXTS) != X).nnz == 0
    round_trip = pickle.loads(pickle.dumps(vec))  # noqa: S301 - our own object, in memory
    assert (round_trip.transform(TEXTS[:2]) != X[:2]).nnz == 0


def test_lexicon_prior_signs() -> None:
    table = combined_lexicon()
    compound = FEATURE_NAMES.index("lex:compound")
    assert lexicon_row(tokenize("what a great day :)"), table)[compound] > 0
    assert lexicon_row(tokenize("not great"), table)[compound] < 0
    assert lexicon_row(tokenize("quelle journée horrible 😭"), table)[compound] < 0
    assert lexicon_row(tokenize("the table"), table) == [0.0] * len(FEATURE_NAMES)


@pytest.mark.parametrize(
    ("n_samples", "has_chars"),
    [(2_000, True), (41_000, True), (59_999, True), (60_000, False), (300_000, False)],
)
def test_character_ngrams_up_to_60k_tweets(n_samples: int, has_chars: bool) -> None:
    """A French + English set of ~40k tweets keeps them: they pay for the minority language."""
    assert bool(build_vectorizer(n_samples).char_ngrams) is has_chars
