import copy
import math
import pickle
from collections import Counter

import joblib
import numpy as np
import pytest

from sentiment.ml import features
from sentiment.ml.features import (
    build_vectorizer,
    char_grams,
    pack_vocabulary,
    unpack_vocabulary,
    word_grams,
)
from sentiment.ml.lexicon import (
    AFINN_FEATURE_NAMES,
    FEATURE_NAMES,
    HULIU_FEATURE_NAMES,
    LexiconFeatures,
    _rows,
    afinn_lexicon,
    combined_lexicon,
    hu_liu_lexicon,
    lexicon_row,
)
from sentiment.ml.normalize import NEG_SUFFIX, tokenize

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
    lexicon_names = [*FEATURE_NAMES, *AFINN_FEATURE_NAMES, *HULIU_FEATURE_NAMES]
    assert list(names[-len(lexicon_names) :]) == lexicon_names


def test_transform_is_deterministic_and_float32(fitted) -> None:
    vec, X = fitted
    again = build_vectorizer(len(TEXTS)).fit_transform(TEXTS)
    assert X.dtype == np.float32
    assert (again != X).nnz == 0
    assert (vec.transform(TEXTS) != X).nnz == 0


@pytest.mark.parametrize("n_samples", [len(TEXTS), 30_000, 100_000])
def test_features_are_transform_without_its_checks_bit_for_bit(n_samples: int) -> None:
    # Word features only (100k), words + character n-grams (small sets), min_df 2 (30k).
    vec = build_vectorizer(n_samples)
    vec.min_df = 1  # the recipe's min_df 2 would leave these few texts almost no words
    vec.fit(TEXTS)
    unseen = ["good day!!", "awful 😡 awful", "", "jamais bon", "zzz unseen qwerty", *TEXTS[:4]]
    for texts in (unseen, unseen[:1], unseen[2:3]):
        fast, checked = vec.features(texts), vec.transform(texts)
        assert type(fast) is type(checked)
        assert fast.dtype == checked.dtype == np.float32
        assert fast.shape == checked.shape
        for part in ("data", "indices", "indptr"):
            assert np.array_equal(getattr(fast, part), getattr(checked, part)), part


def naive_char_counts(char, docs) -> np.ndarray:
    """Character n-gram counts of each tweet's lower-case words, one word at a time."""
    counts = np.zeros((len(docs), len(char.vocabulary_)), dtype=np.float32)
    for row, doc in enumerate(docs):
        words = [w.removesuffix(NEG_SUFFIX) for w in doc.words]
        grams = Counter(g for w in words if w.islower() for g in char_grams(w, char.ngram_range))
        for gram, n in grams.items():
            if gram in char.vocabulary_:
                counts[row, char.vocabulary_[gram]] = n
    return counts


@pytest.mark.parametrize("cache_size", [features.UNSEEN_CACHE_SIZE, 3])
def test_character_ngrams_of_unseen_words_count_each_ngram_of_each_word(
    fitted, monkeypatch, cache_size: int
) -> None:
    # Words rare in training are counted through the cache of unseen words, cold, warm, and
    # with a cache so small that it starts over within one call.
    monkeypatch.setattr(features, "UNSEEN_CACHE_SIZE", cache_size)
    char = copy.deepcopy(fitted[0].char_)
    docs = [
        tokenize(t)
        for t in ("filmmmm adorable adorable", "phone zzz", "", "qwerty génialissime film", "x")
    ]
    for _ in range(2):
        got = char._gram_counts(docs).toarray()
        assert np.array_equal(got, naive_char_counts(char, docs))
        assert len(char._unseen_cache) <= cache_size


def test_pickle_round_trip(fitted, tmp_path) -> None:
    vec, X = fitted
    path = tmp_path / "vec.joblib"
    joblib.dump(vec, path)
    assert (joblib.load(path).transform(TEXTS) != X).nnz == 0
    round_trip = pickle.loads(pickle.dumps(vec))  # noqa: S301 - our own object, in memory
    assert (round_trip.transform(TEXTS[:2]) != X[:2]).nnz == 0


def test_vocabularies_are_pickled_packed_and_come_back_the_same(fitted) -> None:
    # Packed into one string each (fast to unpickle); the fitted object itself keeps them.
    vec, X = fitted
    state = vec.__getstate__()
    assert "vocabulary_" not in state["word_"].__dict__
    assert "vocabulary_" in vec.word_.__dict__
    assert "vocabulary_" not in vec.char_.__getstate__()
    assert vec.char_.vocabulary_
    assert vec.char_.words_
    back = pickle.loads(pickle.dumps(vec))  # noqa: S301 - our own object, in memory
    assert back.word_.vocabulary_ == vec.word_.vocabulary_
    assert back.char_.vocabulary_ == vec.char_.vocabulary_
    assert back.char_.words_ == vec.char_.words_
    assert list(back.get_feature_names_out()) == list(vec.get_feature_names_out())
    assert (back.transform(TEXTS) != X).nnz == 0


def test_a_file_pickled_with_plain_vocabularies_still_loads(fitted) -> None:
    # Versions saved before vocabularies were packed: their state holds the dictionaries.
    vec, X = fitted
    restored = type(vec).__new__(type(vec))
    restored.__setstate__(dict(vec.__dict__))
    assert (restored.transform(TEXTS) != X).nnz == 0


@pytest.mark.parametrize(
    ("vocabulary", "packs"),
    [
        ({"b": 1, "a": 0, "a b": 2}, True),
        ({}, True),
        ({"": 0}, True),
        ({"a\x00b": 0, "c": 1}, False),  # the separator inside a term
        ({"a": 0, "b": 2}, False),  # not columns 0..n-1
    ],
)
def test_pack_vocabulary(vocabulary: dict[str, int], packs: bool) -> None:
    packed = pack_vocabulary(vocabulary)
    assert (packed is not None) == packs
    if packed is not None:
        assert unpack_vocabulary(packed, len(vocabulary)) == vocabulary


def test_lexicon_prior_signs() -> None:
    table = combined_lexicon()
    compound = FEATURE_NAMES.index("lex:compound")
    assert lexicon_row(tokenize("what a great day :)"), table)[compound] > 0
    assert lexicon_row(tokenize("not great"), table)[compound] < 0
    assert lexicon_row(tokenize("quelle journée horrible 😭"), table)[compound] < 0
    assert lexicon_row(tokenize("the table"), table) == [0.0] * len(FEATURE_NAMES)


def test_afinn_gives_a_second_opinion_of_its_own() -> None:
    table = afinn_lexicon()
    assert table["good"] > 0 > table["bad"]
    assert ":)" in table
    assert "not good" not in table  # one token at a time
    lexicon = LexiconFeatures()
    names = list(lexicon.get_feature_names_out())
    assert names == [*FEATURE_NAMES, *AFINN_FEATURE_NAMES, *HULIU_FEATURE_NAMES]
    row = lexicon.transform([tokenize("lucrative")])[0]  # a word only AFINN rates
    assert row[names.index("afinn:compound")] > 0
    assert row[names.index("lex:compound")] == 0
    assert lexicon.transform([tokenize("not good")])[0][names.index("afinn:compound")] < 0


def test_hu_and_liu_give_a_third_opinion_of_their_own() -> None:
    table = hu_liu_lexicon()
    assert table["good"] > 0 > table["bad"]
    assert len(table) > 6_700
    assert "envious" not in table  # in both of its lists
    assert not any(word.startswith(";") for word in table)  # the files' comment lines
    lexicon = LexiconFeatures()
    names = list(lexicon.get_feature_names_out())
    row = lexicon.transform([tokenize("so unreliable")])[0]  # a word only Hu and Liu list
    assert row[names.index("huliu:compound")] < 0
    assert row[names.index("lex:compound")] == row[names.index("afinn:compound")] == 0
    negated = lexicon.transform([tokenize("not unreliable")])[0]
    assert negated[names.index("huliu:compound")] > 0
    assert negated[names.index("huliu:negated")] > 0


@pytest.mark.parametrize(
    ("missing", "names"),
    [
        (("afinn", "huliu"), FEATURE_NAMES),  # saved before AFINN joined
        (("huliu",), FEATURE_NAMES + AFINN_FEATURE_NAMES),  # saved before Hu and Liu joined
    ],
)
def test_a_lexicon_prior_saved_before_a_table_joined_keeps_its_columns(
    missing: tuple[str, ...], names: tuple[str, ...]
) -> None:
    old = LexiconFeatures()
    for attribute in missing:
        del old.__dict__[attribute]  # as unpickled from a model that predates the parameter
    assert old.transform([tokenize("good")]).shape == (1, len(names))
    assert list(old.get_feature_names_out()) == list(names)


@pytest.mark.parametrize(
    ("n_samples", "has_chars"),
    [(2_000, True), (41_000, True), (59_999, True), (60_000, False), (300_000, False)],
)
def test_character_ngrams_up_to_60k_tweets(n_samples: int, has_chars: bool) -> None:
    """A French + English set of ~40k tweets keeps them: they pay for the minority language."""
    assert bool(build_vectorizer(n_samples).char_ngrams) is has_chars


def _plain_row(hits: list[tuple[float, bool]]) -> list[float]:
    # The features of one list of hits, spelled out one at a time.
    values = [score for score, _ in hits] or [0.0]
    pos = sum(score for score, _ in hits if score > 0)
    neg = sum(-score for score, _ in hits if score < 0)
    total = pos - neg
    return [
        math.log1p(pos / 4),
        math.log1p(neg / 4),
        math.log1p(sum(score > 0 for score, _ in hits)),
        math.log1p(sum(score < 0 for score, _ in hits)),
        max(*values, 0.0) / 4,
        min(*values, 0.0) / 4,
        values[-1] / 4,
        total / math.sqrt(total * total + 15),
        math.log1p(sum(negated for _, negated in hits)),
    ]


def test_the_lexicon_features_of_a_request_are_those_of_each_list_of_hits() -> None:
    # The scoring path computes every tweet's and table's features in one numpy pass, from
    # the hits of all the lists interleaved in token order.
    rng = np.random.default_rng(0)
    segments = rng.integers(0, 30, 200)  # lists 30..39 get no hit
    scores = np.where(rng.random(200) < 0.1, 0.0, rng.uniform(-4, 4, 200))
    negated = rng.random(200) < 0.3
    lists: list[list[tuple[float, bool]]] = [[] for _ in range(40)]
    for segment, score, flag in zip(segments, scores, negated, strict=True):
        lists[segment].append((float(score), bool(flag)))
    rows = _rows(segments, scores, negated, len(lists))
    for row, hits in zip(rows, lists, strict=True):
        np.testing.assert_allclose(row, _plain_row(hits), rtol=1e-12, atol=1e-15)


def test_the_lexicon_prior_in_one_pass_equals_one_table_at_a_time() -> None:
    # The scoring path looks every table up in one pass over the tokens; the features are
    # those of lexicon_row, table by table (elongated words and negation included).
    texts = [
        "I loooove this, not baaad at all :) 😍",
        "gooood morning but sooo tired 😩 #fail",
        "je n'aime pas du tout ce trucccc, nul",
        "the table is brown",
        "",
        "🤔 coool stuff!!! yummmy",
        "so unreliableee and not luckyyy",
    ]
    docs = [tokenize(t) for t in texts]
    tables = (combined_lexicon(), afinn_lexicon(), hu_liu_lexicon())
    expected = [[x for table in tables for x in lexicon_row(doc, table)] for doc in docs]
    np.testing.assert_allclose(LexiconFeatures().transform(docs), np.float32(expected), rtol=1e-6)
