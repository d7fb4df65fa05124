"""The word TF-IDF fit spread over processes, for large training sets.

Why it exists: ``TfidfVectorizer.fit_transform`` tokenises and counts in one process, which is
most of a retrain on a large table. Here each worker tokenises a share of the tweets, counts
its word n-grams against a vocabulary of its own and computes its lexicon rows; the parent
merges the vocabularies, drops the n-grams under ``min_df`` and hands the counts to
scikit-learn's own feature selection (``max_features``) and TF-IDF weighting. The fitted
``TfidfVectorizer`` is exactly the one its own ``fit_transform`` would give
(``tests/ml/test_parallel_fit.py`` pins it).

This is the only module that calls scikit-learn's private methods
(``CountVectorizer._validate_vocabulary``, ``_sort_features``, ``_limit_features`` and the
``_tfidf`` attribute). ``_require_private_api`` checks them on every parallel fit, so a
scikit-learn upgrade that renames them fails here with a message instead of somewhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer

from .normalize import Tokens

# Tweets per fitting task: small enough that a worker's n-gram lists stay around 100 MB.
FIT_CHUNK = 50_000

Tokenizer = Callable[[Sequence[str]], list[Tokens]]
Analyzer = Callable[[Tokens], list[str]]
LexiconRows = Callable[[list[Tokens]], np.ndarray]

_PRIVATE_API = ("_validate_vocabulary", "_sort_features", "_limit_features")


@dataclass
class _ChunkCounts:
    """One worker's share of a fit: n-gram counts against its own vocabulary ``terms``."""

    terms: list[str]
    indptr: np.ndarray
    indices: np.ndarray
    counts: np.ndarray
    lexicon: np.ndarray | None
    docs: list[Tokens] | None


def _count_chunk(
    texts: Sequence[str],
    tokenize: Tokenizer,
    analyze: Analyzer,
    lexicon_rows: LexiconRows | None,
    keep_docs: bool,
) -> _ChunkCounts:
    """Tokenise, count word n-grams per tweet (as ``CountVectorizer`` does) and lexicon rows.

    The n-grams of the whole chunk are numbered with C-level dict and map calls and counted
    per tweet with one integer sort, not one Python step per n-gram.
    """
    docs = tokenize(texts)
    grams: list[str] = []
    lengths = np.empty(len(docs), dtype=np.int64)
    for i, doc in enumerate(docs):
        doc_grams = analyze(doc)
        lengths[i] = len(doc_grams)
        grams.extend(doc_grams)
    terms = list(dict.fromkeys(grams))  # first-seen order
    numbering = dict(zip(terms, range(len(terms)), strict=True))
    ids = np.fromiter(map(numbering.__getitem__, grams), dtype=np.int64, count=len(grams))
    del grams, numbering
    rows = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
    width = max(len(terms), 1)
    keys, counts = np.unique(rows * width + ids, return_counts=True)
    doc_of_key, indices = np.divmod(keys, width)
    indptr = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum(np.bincount(doc_of_key, minlength=len(docs)), out=indptr[1:])
    return _ChunkCounts(
        terms=terms,
        indptr=indptr,
        indices=indices.astype(np.int32),
        counts=counts.astype(np.int32),
        lexicon=lexicon_rows(docs) if lexicon_rows is not None else None,
        docs=docs if keep_docs else None,
    )


def _merge_counts(chunks: list[_ChunkCounts], min_df: int) -> tuple[sp.csr_matrix, list[str]]:
    """One (tweets x n-grams) float32 count matrix over the n-grams in ``min_df`` tweets or more.

    Rarer n-grams can never be kept (``min_df`` is applied before ``max_features``), so they
    are dropped before the vocabulary is sorted and selected.
    """
    vocabulary: dict[str, int] = {}
    global_ids = []
    for chunk in chunks:
        ids = np.fromiter(
            (vocabulary.setdefault(term, len(vocabulary)) for term in chunk.terms),
            dtype=np.int64,
            count=len(chunk.terms),
        )
        global_ids.append(ids[chunk.indices])
    indices = np.concatenate(global_ids)
    doc_freq = np.bincount(indices, minlength=len(vocabulary))
    keep = doc_freq >= min_df
    new_index = np.cumsum(keep) - 1
    kept_entries = keep[indices]
    offsets = [0]
    for chunk in chunks:
        offsets.append(offsets[-1] + len(chunk.indices))
    row_ends = np.concatenate(
        [chunk.indptr[1:] + offset for chunk, offset in zip(chunks, offsets, strict=False)]
    )
    kept_before = np.concatenate([[0], np.cumsum(kept_entries)])
    indptr = kept_before[np.concatenate([[0], row_ends])]
    matrix = sp.csr_matrix(
        (
            np.concatenate([chunk.counts for chunk in chunks])[kept_entries].astype(np.float32),
            new_index[indices[kept_entries]].astype(np.int32),
            indptr,
        ),
        shape=(len(row_ends), int(keep.sum())),
    )
    terms = np.array(list(vocabulary), dtype=object)[keep].tolist()
    return matrix, terms


def _require_private_api(word: TfidfVectorizer) -> None:
    missing = [name for name in _PRIVATE_API if not hasattr(word, name)]
    if missing:
        import sklearn

        raise RuntimeError(
            f"scikit-learn {sklearn.__version__} no longer has TfidfVectorizer."
            f"{', '.join(missing)}: sentiment/ml/parallel_fit.py must follow its new fit "
            "(or set n_jobs=1 to fit serially)"
        )


def fit_word_tfidf(
    word: TfidfVectorizer,
    texts: Sequence[str],
    *,
    tokenize: Tokenizer,
    lexicon_rows: LexiconRows | None,
    keep_docs: bool,
    n_jobs: int,
) -> tuple[sp.csr_matrix, np.ndarray | None, list[Tokens] | None]:
    """``word.fit_transform(tokenize(texts))`` with tokenising and counting over ``n_jobs``.

    ``word`` is an unfitted ``TfidfVectorizer`` whose ``analyzer`` takes one tokenised tweet.
    Returns the TF-IDF matrix, the stacked ``lexicon_rows`` of every tweet (or None) and,
    with ``keep_docs``, the tokenised tweets.
    """
    _require_private_api(word)
    analyze: Any = word.analyzer
    step = min(-(-len(texts) // (2 * effective_n_jobs(n_jobs))), FIT_CHUNK)
    chunks = Parallel(n_jobs=n_jobs)(
        delayed(_count_chunk)(texts[i : i + step], tokenize, analyze, lexicon_rows, keep_docs)
        for i in range(0, len(texts), step)
    )
    counts, terms = _merge_counts(chunks, word.min_df)
    lexicon = np.vstack([c.lexicon for c in chunks]) if lexicon_rows is not None else None
    docs = [doc for c in chunks for doc in c.docs] if keep_docs else None
    del chunks
    # From here on, the steps of CountVectorizer.fit_transform and TfidfVectorizer's, in
    # their order, on the same float32 count matrix.
    word._validate_vocabulary()
    word._tfidf = TfidfTransformer(
        norm=word.norm,
        use_idf=word.use_idf,
        smooth_idf=word.smooth_idf,
        sublinear_tf=word.sublinear_tf,
    )
    vocabulary = {term: i for i, term in enumerate(terms)}
    del terms
    if word.max_features is not None:
        counts = word._sort_features(counts, vocabulary)
    counts = word._limit_features(
        counts, vocabulary, counts.shape[0], word.min_df, word.max_features
    )
    if word.max_features is None:
        counts = word._sort_features(counts, vocabulary)
    word.vocabulary_ = vocabulary
    word._tfidf.fit(counts)
    return word._tfidf.transform(counts, copy=False), lexicon, docs
