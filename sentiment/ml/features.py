"""The whole text-to-features chain, saved as tfidf_vectorizer.pkl."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer

from sentiment.ml.normalize import normalize


class TweetVectorizer(TransformerMixin, BaseEstimator):
    """Word and character n-gram TF-IDF over normalised tweets."""

    def __init__(self, min_df: int = 1) -> None:
        self.min_df = min_df

    def fit(self, texts: Iterable[str], y: object = None) -> TweetVectorizer:
        docs = [normalize(t) for t in texts]
        self.word_ = TfidfVectorizer(
            ngram_range=(1, 2), min_df=self.min_df, sublinear_tf=True, dtype=np.float32
        ).fit(docs)
        self.char_ = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 4),
            min_df=self.min_df,
            sublinear_tf=True,
            dtype=np.float32,
        ).fit(docs)
        return self

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        docs = [normalize(t) for t in texts]
        return sp.hstack([self.word_.transform(docs), self.char_.transform(docs)], format="csr")

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.concatenate(
            [self.word_.get_feature_names_out(), self.char_.get_feature_names_out()]
        )


def build_vectorizer(n_samples: int) -> TweetVectorizer:
    return TweetVectorizer(min_df=1 if n_samples < 10_000 else 2)
