import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from sentiment.ml.predictor import Predictor

TEXTS = [
    "good good day",
    "bad awful day",
    "fine okay day",
    "great good fun",
    "awful bad pain",
    "okay fine meh",
]
LABELS = ["positive", "negative", "neutral", "positive", "negative", "neutral"]


def predictor(texts=TEXTS, labels=LABELS) -> Predictor:
    vectorizer = TfidfVectorizer().fit(texts)
    model = LogisticRegression(C=10).fit(vectorizer.transform(texts), labels)
    return Predictor(vectorizer, model)


def test_scores_are_positive_minus_negative_rounded():
    p = predictor()
    proba = p.predict_proba(["good fun", "awful pain"])
    classes = p.classes

    scores = p.scores(["good fun", "awful pain"])

    expected = proba[:, classes.index("positive")] - proba[:, classes.index("negative")]
    assert scores == np.round(expected, 4).tolist()
    assert scores[0] > 0 > scores[1]


@pytest.mark.parametrize(
    ("labels", "tweet", "sign"),
    [(["positive", "negative"] * 3, "good", 1), (["negative", "neutral"] * 3, "good", 1)],
)
def test_two_label_models_score_towards_the_more_positive_label(labels, tweet, sign):
    p = predictor(TEXTS, labels)

    assert len(p.scores([tweet])) == 1


def test_explanations_name_the_terms_that_moved_the_score():
    [result] = predictor().detail(["good day"])

    terms = dict(result["explanation"])
    assert terms["good"] > 0
    assert list(terms) == sorted(terms, key=lambda t: -abs(terms[t]))


def test_a_binary_model_explains_in_the_direction_of_the_score():
    p = predictor(
        ["good fun", "bad pain", "good day", "bad day"],
        ["positive", "negative", "positive", "negative"],
    )

    [good] = p.detail(["good"])
    [bad] = p.detail(["bad"])

    assert good["explanation"][0][1] > 0 > bad["explanation"][0][1]
    assert good["probabilities"]["neutral"] == 0.0


@pytest.mark.parametrize(
    ("labels", "solver"),
    [
        (LABELS, "lbfgs"),
        (LABELS, "saga"),
        (["positive", "negative"] * 3, "liblinear"),
        (["negative", "neutral"] * 3, "liblinear"),
        (["positive", "negative"] * 3, "lbfgs"),
    ],
)
def test_probabilities_are_bit_for_bit_those_of_predict_proba(labels, solver):
    from sentiment.ml.features import TweetVectorizer

    texts = [*TEXTS, "so good 😂", "pas terrible du tout :(", "meh @someone http://x.io"]
    labels = [*labels, labels[0], labels[1], labels[2]]
    vectorizer = TweetVectorizer(min_df=1, char_ngrams=(2, 5), char_min_df=1).fit(texts)
    model = LogisticRegression(C=3, solver=solver, max_iter=5000).fit(
        vectorizer.transform(texts), labels
    )
    p = Predictor(vectorizer, model)
    unseen = ["good day!!", "awful 😡", "", "jamais bon", "okay okay fine fun pain"]

    fast = p.predict_proba(unseen)
    reference = model.predict_proba(vectorizer.transform(unseen))

    assert fast.dtype == reference.dtype
    assert fast.shape == reference.shape
    assert np.array_equal(fast, reference)


def test_other_classifiers_use_their_own_predict_proba():
    class Shifted(LogisticRegression):
        def predict_proba(self, X):
            return super().predict_proba(X)[:, ::-1]

    vectorizer = TfidfVectorizer().fit(TEXTS)
    model = Shifted().fit(vectorizer.transform(TEXTS), ["positive", "negative"] * 3)
    p = Predictor(vectorizer, model)

    assert np.array_equal(
        p.predict_proba(["good"]), model.predict_proba(vectorizer.transform(["good"]))
    )
