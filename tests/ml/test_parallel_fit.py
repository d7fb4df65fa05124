"""The parallel fit of the word features is scikit-learn's own fit, to the bit."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from sentiment.ml import features
from sentiment.ml.parallel_fit import _require_private_api


def _corpus(n: int) -> list[str]:
    """Tweets with a long tail of rare n-grams, ties in frequency and repeated texts."""
    rng = np.random.default_rng(0)
    words = [f"w{k}" for k in range(300)] + ["love", "hate", "not", "good", "😍", ":)", "pas"]
    weights = 1.0 / np.arange(1, len(words) + 1)
    weights /= weights.sum()
    return [
        " ".join(rng.choice(words, size=rng.integers(1, 12), p=weights))
        + (" #fail" if k % 7 == 0 else "")
        + (" SOOOO" if k % 11 == 0 else "")
        for k in range(n)
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"min_df": 2},
        {"min_df": 3, "max_features": 500},  # the cap cuts through tied frequencies
        {"min_df": 1, "char_ngrams": (2, 4), "char_min_df": 2},
        {"min_df": 2, "lexicon_scale": 0},
    ],
)
def test_parallel_fit_is_exactly_the_serial_tfidf_fit(monkeypatch, params) -> None:
    texts = _corpus(3000)
    serial = features.TweetVectorizer(n_jobs=1, **params)
    expected = serial.fit_transform(texts)
    monkeypatch.setattr(features, "PARALLEL_MIN_TEXTS", 100)
    parallel = features.TweetVectorizer(n_jobs=2, **params)

    X = parallel.fit_transform(texts)

    assert parallel.word_.vocabulary_ == serial.word_.vocabulary_
    np.testing.assert_array_equal(parallel.word_.idf_, serial.word_.idf_)
    assert X.dtype == np.float32
    assert X.shape == expected.shape
    np.testing.assert_array_equal(X.toarray(), expected.toarray())
    assert list(parallel.get_feature_names_out()) == list(serial.get_feature_names_out())
    unseen = ["love it SOOOO much w1 w2", "pas good w299 brandnew"]
    np.testing.assert_array_equal(
        parallel.transform(unseen).toarray(), serial.transform(unseen).toarray()
    )


def test_a_scikit_learn_without_the_private_methods_fails_loudly(monkeypatch) -> None:
    monkeypatch.delattr(CountVectorizer, "_limit_features")
    with pytest.raises(RuntimeError, match=r"parallel_fit\.py"):
        _require_private_api(TfidfVectorizer())
